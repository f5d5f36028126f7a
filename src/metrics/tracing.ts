/**
 * OpenTelemetry spans around store operations, after the database semantic
 * conventions (https://opentelemetry.io/docs/specs/semconv/database/):
 * a CLIENT span per call, named `{db.operation.name} {target}`, with
 * `db.system.name` (and the older `db.system`), `db.operation.name`,
 * `server.address` and `server.port`. Never the token, the store key, a
 * user id or session data: only what identifies the operation and the
 * server. Spans are children of the active span (the request's, when your
 * HTTP instrumentation made one); a failure is recorded on the span with
 * `error.type` and status ERROR, and rethrown unchanged.
 *
 * `@opentelemetry/api` is an optional peer, loaded when `traceStore` is
 * called. Without an SDK registered its tracer is a no-op.
 */
import type { Span, Tracer } from "@opentelemetry/api";
import type { SessionStore } from "../core/store.js";
import { requireDriver } from "../util/driver.js";
import { wrapStore } from "./wrap-store.js";

type OtelApi = typeof import("@opentelemetry/api");

export interface TraceOptions {
  /** @default trace.getTracer("cloakroom-sessions") from the global provider */
  tracer?: Tracer;
  /**
   * The store's URL, for `server.address` and `server.port` (credentials,
   * path and query are never read). For `tiered:` the durable store's.
   */
  url?: string;
}

/** Store kinds to the semantic conventions' `db.system.name` values. */
const SYSTEMS: Record<string, string> = {
  postgres: "postgresql",
  postgresql: "postgresql",
  mysql: "mysql",
  mariadb: "mariadb",
  sqlite: "sqlite",
  redis: "redis",
  "redis-cluster": "redis",
  "redis-sentinel": "redis",
  memcached: "memcached",
};

const DEFAULT_PORTS: Record<string, number> = {
  postgresql: 5432,
  mysql: 3306,
  mariadb: 3306,
  redis: 6379,
  memcached: 11211,
};

/** The `db.system.name` for a store kind; `other_sql` for SQL we do not know, else `cloakroom.<kind>`. */
export function dbSystemOf(kind: string): string {
  const base = kind.toLowerCase().split(/[^a-z-]/)[0] ?? kind;
  return SYSTEMS[base] ?? (base.startsWith("redis") ? "redis" : `cloakroom.${base}`);
}

/** Host and port of the first server in a store URL; nothing else is read. */
function serverOf(url: string | undefined, system: string): { address?: string; port?: number } {
  if (!url) return {};
  let target = url;
  if (url.startsWith("tiered:")) {
    const durable = new URLSearchParams(url.slice(url.indexOf("?") + 1)).get("durable");
    if (!durable) return {};
    target = durable;
  }
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/,?]+)(?::(\d+))?/i.exec(target);
  if (!m) return {};
  const address = m[1]!.replace(/^\[|\]$/g, "");
  const port = m[2] !== undefined ? Number(m[2]) : DEFAULT_PORTS[system];
  return port !== undefined ? { address, port } : { address };
}

/**
 * The store with a span around every operation.
 * @example
 * const url = process.env.SESSION_STORE!;
 * const store = traceStore(await createStore(url), { url });
 */
export function traceStore<S extends SessionStore>(store: S, options: TraceOptions = {}): S {
  const api = requireDriver<OtelApi>("@opentelemetry/api", "Tracing (cloakroom-sessions/metrics)");
  const tracer = options.tracer ?? api.trace.getTracer("cloakroom-sessions");
  const system = dbSystemOf(store.kind);
  const server = serverOf(options.url, system);
  const target =
    server.address !== undefined
      ? `${server.address}${server.port !== undefined ? `:${server.port}` : ""}`
      : system;
  const base: Record<string, string | number> = {
    "db.system.name": system,
    "db.system": system,
  };
  if (server.address !== undefined) base["server.address"] = server.address;
  if (server.port !== undefined) base["server.port"] = server.port;

  return wrapStore(store, (operation, call) =>
    tracer.startActiveSpan(
      `${operation} ${target}`,
      {
        kind: api.SpanKind.CLIENT,
        attributes: { ...base, "db.operation.name": operation },
      },
      async (span: Span) => {
        try {
          return await call();
        } catch (err) {
          const e = err as { code?: unknown; name?: unknown };
          span.setAttribute(
            "error.type",
            typeof e?.code === "string" ? e.code : typeof e?.name === "string" ? e.name : "_OTHER",
          );
          span.recordException(err instanceof Error ? err : String(err));
          span.setStatus({ code: api.SpanStatusCode.ERROR });
          throw err;
        } finally {
          span.end();
        }
      },
    ),
  );
}
