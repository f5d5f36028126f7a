/**
 * Prometheus metrics with prom-client (an optional peer, imported on first
 * use). Nothing is measured until you wire it, and what is not wired costs
 * nothing: lifecycle counters hang off the manager's events, store latency
 * off a wrapper around the store, logins and CSRF refusals off the audit
 * trail. Labels are low-cardinality by construction (operation, backend,
 * reason, result): never a user id, a handle or a path.
 */
import type { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AuditSink } from "../auth/audit.js";
import type { SessionManager } from "../core/manager.js";
import type { SessionStore } from "../core/store.js";
import { importDriver } from "../util/driver.js";
import { type StoreOperation, wrapStore } from "./wrap-store.js";

type PromClient = typeof import("prom-client");

/**
 * Store latency buckets, seconds: from 50 µs (an in-process or
 * loopback-Redis call is 100–300 µs) to 2.5 s (a stuck connection, just
 * under the usual 5 s deadline).
 */
export const STORE_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

export interface MetricsOptions {
  /** Where metrics are registered. @default prom-client's global `register` */
  registry?: Registry;
  /** Prefix of every metric name. @default "cloakroom_" */
  prefix?: string;
  /** Histogram buckets for store and request timings, seconds. @default {@link STORE_BUCKETS} */
  buckets?: number[];
  /**
   * The live-sessions gauge asks `store.stats()` (a `COUNT(*)` on SQL) at
   * most this often, ms; scrapes in between get the last answer. 0 turns
   * the gauge off. @default 30000
   */
  statsInterval?: number;
}

/** What `createMetrics` returns: wire the parts you want. */
export interface SessionMetrics {
  readonly registry: Registry;
  /**
   * The store with every operation timed (`…_store_operation_duration_seconds`)
   * and failures counted. Use the returned store in `createSessions`.
   */
  store<S extends SessionStore>(store: S): S;
  /**
   * Counts the manager's lifecycle events and refused cookies, times each
   * request's load and commit, and exposes live sessions from `stats()`.
   * Returns a function that stops observing.
   */
  observe(sessions: SessionManager): () => void;
  /** An audit sink counting logins by result and CSRF refusals: add it to `createAuth({ onEvent })`. */
  readonly auditSink: AuditSink;
  /** Gauges of a connection pool (`pg.Pool`: total, idle, waiting), labelled `pool`. */
  observePool(name: string, pool: PoolLike): void;
  /** The registry in Prometheus text format, for a `/metrics` route. */
  text(): Promise<string>;
  /** The `Content-Type` of {@link SessionMetrics.text}. */
  readonly contentType: string;
}

/** The subset of `pg.Pool` the pool gauges read. */
export interface PoolLike {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/**
 * @example
 * const metrics = await createMetrics();
 * const sessions = createSessions({ store: metrics.store(await createStore(url)), secrets });
 * metrics.observe(sessions);
 * const auth = createAuth({ sessions, users, onEvent: [audit, metrics.auditSink] });
 * app.get("/metrics", async (_req, res) => res.type(metrics.contentType).send(await metrics.text()));
 */
export async function createMetrics(options: MetricsOptions = {}): Promise<SessionMetrics> {
  const prom = await importDriver<PromClient>(
    "prom-client",
    "Metrics (cloakroom-sessions/metrics)",
  );
  const client = (prom as PromClient & { default?: PromClient }).default ?? prom;
  const registry = options.registry ?? client.register;
  const p = options.prefix ?? "cloakroom_";
  const buckets = options.buckets ?? STORE_BUCKETS;
  const statsInterval = options.statsInterval ?? 30_000;

  // Reused when already registered (a second createMetrics on one registry, hot reload).
  const reuse = <M>(name: string, make: () => M): M =>
    (registry.getSingleMetric(name) as M | undefined) ?? make();
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    reuse<Counter<L>>(
      p + name,
      () => new client.Counter({ name: p + name, help, labelNames, registers: [registry] }),
    );
  const histogram = <L extends string>(name: string, help: string, labelNames: L[]) =>
    reuse<Histogram<L>>(
      p + name,
      () =>
        new client.Histogram({ name: p + name, help, labelNames, buckets, registers: [registry] }),
    );

  const created = counter("sessions_created_total", "Sessions written for the first time.");
  const rotated = counter(
    "sessions_rotated_total",
    "Sessions given a new token (login, regenerate, sudo, role change).",
  );
  const destroyed = counter("sessions_destroyed_total", "Sessions ended by destroy() (logout).");
  const revoked = counter("sessions_revoked_total", "Sessions ended by revocation.", ["reason"]);
  const expired = counter(
    "sessions_expired_total",
    "Cookies that named an expired session (gone: the store had already dropped it).",
    ["reason"],
  );
  const refused = counter(
    "session_cookies_refused_total",
    "Session cookies ignored, by reason; bad_signature and unknown are the session-guessing signal.",
    ["reason"],
  );
  const logins = counter("logins_total", "Password logins by result.", ["result"]);
  const csrf = counter(
    "csrf_refusals_total",
    "State-changing requests refused for a bad CSRF token.",
  );
  const storeSeconds = histogram(
    "store_operation_duration_seconds",
    "Session store operation latency.",
    ["operation", "backend"],
  );
  const storeErrors = counter("store_errors_total", "Session store operations that failed.", [
    "operation",
    "backend",
  ]);
  const requestSeconds = histogram(
    "session_request_duration_seconds",
    "Time a request spends in session handling: load (cookie to session) and commit (write and cookie).",
    ["phase"],
  );

  const metrics: SessionMetrics = {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),

    store(store) {
      const backend = store.kind;
      const timers = new Map<StoreOperation, Histogram.Internal<"operation" | "backend">>();
      const errors = new Map<StoreOperation, Counter.Internal>();
      return wrapStore(store, async (operation, call) => {
        let timer = timers.get(operation);
        if (timer === undefined) {
          timer = storeSeconds.labels({ operation, backend });
          timers.set(operation, timer);
        }
        const start = performance.now();
        try {
          return await call();
        } catch (err) {
          let e = errors.get(operation);
          if (e === undefined) {
            e = storeErrors.labels({ operation, backend });
            errors.set(operation, e);
          }
          e.inc();
          throw err;
        } finally {
          timer.observe((performance.now() - start) / 1000);
        }
      });
    },

    observe(sessions) {
      const off = [
        sessions.on("created", () => created.inc()),
        sessions.on("rotated", () => rotated.inc()),
        sessions.on("destroyed", () => destroyed.inc()),
        sessions.on("revoked", (e) => {
          if (e.count > 0) revoked.inc({ reason: e.reason.replace(/-/g, "_") }, e.count);
        }),
        sessions.on("expired", (e) => expired.inc({ reason: e.reason })),
        sessions.on("refused", (e) => refused.inc({ reason: e.reason })),
      ];
      off.push(timeRequests(sessions, requestSeconds));
      off.push(observeLive(sessions.store));
      return () => {
        for (const f of off) f();
      };
    },

    auditSink: (e) => {
      if (e.type === "login.succeeded") logins.inc({ result: "ok" });
      else if (e.type === "login.failed") logins.inc({ result: "wrong_password" });
      else if (e.type === "login.throttled") logins.inc({ result: "throttled" });
      else if (e.type === "csrf.refused") csrf.inc();
    },

    observePool(name, pool) {
      pools.set(name, pool);
      if (pools.size > 1) return;
      gauge("pool_connections", "Connections the pool holds.", ["pool"], (g) => {
        for (const [n, pl] of pools) g.set({ pool: n }, pl.totalCount);
      });
      gauge("pool_idle_connections", "Idle connections in the pool.", ["pool"], (g) => {
        for (const [n, pl] of pools) g.set({ pool: n }, pl.idleCount);
      });
      gauge("pool_waiting_requests", "Queries waiting for a connection.", ["pool"], (g) => {
        for (const [n, pl] of pools) g.set({ pool: n }, pl.waitingCount);
      });
    },
  };

  const pools = new Map<string, PoolLike>();
  const live = new Map<SessionStore, { at: number; live: number } | null>();
  /**
   * Gauges read their sources at scrape time through a closure over this
   * call's state, so one already registered (an earlier createMetrics on the
   * same registry) is replaced rather than reused.
   */
  function gauge(
    name: string,
    help: string,
    labelNames: string[],
    collect: (g: Gauge<string>) => void | Promise<void>,
  ): void {
    registry.removeSingleMetric(p + name);
    new client.Gauge({
      name: p + name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        return collect(this);
      },
    });
  }
  function observeLive(store: SessionStore): () => void {
    if (statsInterval <= 0 || !store.stats) return () => {};
    live.set(store, null);
    if (live.size === 1) {
      gauge(
        "sessions_live",
        "Live sessions in the store (from stats(), refreshed at most every statsInterval).",
        ["backend"],
        async (g) => {
          const now = Date.now();
          for (const [st, last] of live) {
            let current = last;
            if (current === null || now - current.at >= statsInterval) {
              try {
                current = { at: now, live: (await st.stats!(now)).live };
                live.set(st, current);
              } catch {
                // A scrape must not fail because the store is down; store_errors_total shows it.
                continue;
              }
            }
            g.set({ backend: st.kind }, current.live);
          }
        },
      );
    }
    return () => live.delete(store);
  }
  return metrics;
}

/**
 * Times `load` and `commit` by wrapping them on this one manager instance:
 * nothing changes for managers that are not observed, and the core needs no
 * clock calls of its own.
 */
function timeRequests(sessions: SessionManager, seconds: Histogram<"phase">): () => void {
  const load = sessions.load;
  const commit = sessions.commit;
  const loadTimer = seconds.labels({ phase: "load" });
  const commitTimer = seconds.labels({ phase: "commit" });
  const timed =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>, timer: Histogram.Internal<"phase">) =>
    async (...args: A): Promise<R> => {
      const start = performance.now();
      try {
        return await fn.apply(sessions, args);
      } finally {
        timer.observe((performance.now() - start) / 1000);
      }
    };
  sessions.load = timed(load, loadTimer);
  sessions.commit = timed(commit, commitTimer);
  return () => {
    // Own properties shadowed the prototype's methods: deleting them restores those.
    delete (sessions as Partial<Pick<SessionManager, "load" | "commit">>).load;
    delete (sessions as Partial<Pick<SessionManager, "load" | "commit">>).commit;
  };
}
