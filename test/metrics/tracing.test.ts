/**
 * `traceStore` against real stores (SQLite, Redis, PostgreSQL), checked with
 * the OpenTelemetry SDK's in-memory exporter: one CLIENT span per store
 * operation, named and attributed after the database semantic conventions,
 * a child of the request's active span, errors recorded — and never a token,
 * a store key, a user id or session data anywhere in a span.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { context, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSessions } from "../../src/core/manager.js";
import type { SessionStore } from "../../src/core/store.js";
import { traceStore } from "../../src/metrics/index.js";
import { dbSystemOf } from "../../src/metrics/tracing.js";
import { createStore } from "../../src/stores/create-store.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";
import { dropTable, uniqueTable } from "../support/sql.js";

const SECRET = "tracing-secret-0123456789abcdef-0123456789abcdef";
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer("test");
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});

const dir = mkdtempSync(join(tmpdir(), "cloakroom-tracing-"));
const pgTable = uniqueTable("ops_tracing");
const redisPrefix = `ops-tracing-${process.pid}-${Date.now().toString(36)}:`;

const BACKENDS = [
  {
    name: "SQLite",
    url: `sqlite:${join(dir, "t.db")}`,
    system: "sqlite",
    server: undefined as { address: string; port: number } | undefined,
    unavailable: null as string | null,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  },
  {
    name: "Redis",
    url: `${SERVICE_URLS.redis}?keyPrefix=${redisPrefix}`,
    system: "redis",
    server: { address: "127.0.0.1", port: 6379 },
    unavailable: await probe("redis", async () =>
      (await createStore(SERVICE_URLS.redis)).close?.(),
    ),
    cleanup: async () => {},
  },
  {
    name: "PostgreSQL",
    url: `${SERVICE_URLS.postgres}?table=${pgTable}&migrate=1`,
    system: "postgresql",
    server: { address: "127.0.0.1", port: 5432 },
    unavailable: await probe("postgres", async () =>
      (await createStore(SERVICE_URLS.postgres)).close?.(),
    ),
    cleanup: () => dropTable("postgres", pgTable),
  },
];

for (const b of BACKENDS) {
  describeWithService(b.system, b.unavailable, `spans on ${b.name}`, () => {
    let raw: SessionStore;
    let store: SessionStore;

    beforeAll(async () => {
      raw = await createStore(b.url);
      await raw.migrate?.();
      store = traceStore(raw, { tracer, url: b.url });
    });
    beforeEach(() => exporter.reset());
    afterAll(async () => {
      await raw?.close?.();
      await b.cleanup();
    });

    it("one CLIENT span per operation, children of the request's span, semconv attributes", async () => {
      const sessions = createSessions({ store, secrets: [SECRET] });
      let cookie = "";
      let storeKey = "";
      await tracer.startActiveSpan("POST /cart", async (request) => {
        const s = await sessions.load({ cookie: null, encrypted: false });
        s.set("cart", { secretItem: "diamond-ring-42" });
        s.setUser("user-traced-7");
        const out = await sessions.commit(s);
        cookie = out.setCookie!.split(";")[0]!;
        storeKey = s._key!;
        const again = await sessions.load({ cookie, encrypted: false });
        again.set("theme", "dark");
        await sessions.commit(again);
        await sessions.listUserSessions("user-traced-7");
        request.end();
      });
      const spans = exporter.getFinishedSpans();
      const request = spans.find((s) => s.name === "POST /cart")!;
      const storeSpans = spans.filter((s) => s !== request);
      expect(storeSpans.map((s) => s.attributes["db.operation.name"])).toEqual([
        "create",
        "get",
        "patch",
        "listByUser",
      ]);
      const target = b.server ? `${b.server.address}:${b.server.port}` : b.system;
      for (const span of storeSpans) {
        expect(span.kind).toBe(SpanKind.CLIENT);
        expect(span.name).toBe(`${span.attributes["db.operation.name"]} ${target}`);
        expect(span.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
        expect(span.spanContext().traceId).toBe(request.spanContext().traceId);
        expect(span.attributes["db.system.name"]).toBe(b.system);
        expect(span.attributes["db.system"]).toBe(b.system);
        if (b.server) {
          expect(span.attributes["server.address"]).toBe(b.server.address);
          expect(span.attributes["server.port"]).toBe(b.server.port);
        } else {
          expect(span.attributes["server.address"]).toBeUndefined();
        }
        expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
        expect(span.endTime[0] * 1e9 + span.endTime[1]).toBeGreaterThanOrEqual(
          span.startTime[0] * 1e9 + span.startTime[1],
        );
      }
      const dump = JSON.stringify(storeSpans.map(serializable));
      const token = cookie.slice(cookie.indexOf("=") + 1);
      for (const secret of [token, token.split(".")[1]!, storeKey, "diamond", "user-traced-7"]) {
        expect(dump).not.toContain(secret);
      }
    });

    it("a failed operation: status ERROR, the exception recorded, error.type set, error rethrown", async () => {
      const broken = traceStore(await createStore(b.url), { tracer, url: b.url });
      await broken.close?.();
      let thrown: unknown;
      try {
        await broken.get("A".repeat(43), Date.now());
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeDefined();
      const [span] = exporter.getFinishedSpans();
      expect(span!.attributes["db.operation.name"]).toBe("get");
      expect(span!.status.code).toBe(SpanStatusCode.ERROR);
      expect(span!.attributes["error.type"]).toBeTypeOf("string");
      expect(span!.events.map((e) => e.name)).toContain("exception");
    });
  });
}

function serializable(span: ReadableSpan) {
  return { name: span.name, attributes: span.attributes, events: span.events };
}

describe("db.system.name of each store kind", () => {
  it("maps the known backends and names the others under cloakroom.*", () => {
    expect(dbSystemOf("postgres")).toBe("postgresql");
    expect(dbSystemOf("mysql")).toBe("mysql");
    expect(dbSystemOf("sqlite")).toBe("sqlite");
    expect(dbSystemOf("redis")).toBe("redis");
    expect(dbSystemOf("memcached")).toBe("memcached");
    expect(dbSystemOf("memory")).toBe("cloakroom.memory");
  });
});
