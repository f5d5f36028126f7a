/**
 * The adapter conformance suite: the session semantics of CONTRACT §2 as a
 * browser sees them, over real HTTP on 127.0.0.1, for every adapter and on
 * more than one store. An adapter's test file calls
 * `await adapterConformance("express", startApp)`, where `startApp` serves
 * these routes with that framework (see the adapter test files):
 *
 * | route | does |
 * |---|---|
 * | `GET /peek` | `200 "ok"`, never touches the session |
 * | `GET /get/:key` | `200 {value, isNew, userId}` (`value` null when absent) |
 * | `GET /all` | `200 {data, userId}` |
 * | `PUT /set/:key` | body `{"value": …}`; `session.set(key, value)`; `204` |
 * | `DELETE /del/:key` | `204` |
 * | `POST /regenerate` | `session.regenerate()`; `204` |
 * | `POST /login/:user` | `session.setUser(user)`; `204` |
 * | `POST /logout` | `session.destroy()`; `204` |
 * | `POST /mutate/:key` | pushes into the array under `key` in place; `200 {refused}` |
 * | `POST /reload/:key` | sets `key` to `"unsaved"`, `await reload()`; `200 {value}` |
 * | `GET /stream` | sets `streamed`, `await save()`, then streams `a`,`b`,`c` |
 * | `GET /devices` | `200 {count, current}` from the exposed manager's `listUserSessions` |
 * | `POST /app-cookie` | sets an app cookie `theme=dark` and `Vary: Accept-Encoding`, writes `x` |
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadStoreUrlError } from "../../src/core/errors.js";
import { createSessions, type SessionManager } from "../../src/core/manager.js";
import type { SessionOptions } from "../../src/core/options.js";
import type { SessionStore } from "../../src/core/store.js";
import { createStore } from "../../src/stores/create-store.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";
import { registerCookieTests } from "./adapter-cookie-tests.js";
import { registerFaultTests } from "./adapter-fault-tests.js";
import { registerLifecycleTests } from "./adapter-lifecycle-tests.js";
import { Client } from "./http-client.js";
import { InstrumentedStore } from "./instrumented-store.js";

export interface AdapterApp {
  url: string;
  close(): Promise<void>;
}
export type StartApp = (opts: { manager: SessionManager }) => Promise<AdapterApp>;

/** What each group of tests gets: the running app, its store, and a way to start variants. */
export interface SuiteContext {
  client: Client;
  store: InstrumentedStore;
  manager: SessionManager;
  /** Starts another app on the same store with other options (closed after the suite). */
  startWith(options: Partial<SessionOptions>): Promise<Client>;
}

export const SECRET = "adapter-suite-secret-0123456789abcdef-0123456789";

interface Backend {
  name: string;
  /** The store, or why this variant cannot run (`service`: a server that did not answer). */
  open(dir: string): Promise<SessionStore | { skip: string; service?: string }>;
}

const BACKENDS: Backend[] = [
  { name: "memory", open: async () => new MemoryStore({ sweepInterval: 0 }) },
  {
    name: "sqlite",
    open: async (dir) => {
      try {
        return await createStore(`sqlite:${join(dir, "sessions.db")}`);
      } catch (err) {
        // Only the placeholder of a store not written yet is a skip; any other failure fails.
        if (err instanceof BadStoreUrlError) return { skip: err.message };
        throw err;
      }
    },
  },
  {
    name: "redis",
    open: async () => {
      const keyPrefix = `cr:adapter:${process.pid}:${Date.now()}:`;
      let store: SessionStore | undefined;
      const unavailable = await probe("redis", async () => {
        store = await createStore(SERVICE_URLS.redis, { keyPrefix });
        await store.get("probe", Date.now());
      });
      if (unavailable === null && store) return store;
      await store?.close().catch((err) => console.warn("closing the probe store failed", err));
      return { skip: unavailable ?? "no store", service: "Redis" };
    },
  },
];

export async function adapterConformance(name: string, startApp: StartApp): Promise<void> {
  for (const backend of BACKENDS) {
    const dir = mkdtempSync(join(tmpdir(), `cloakroom-adapter-${name}-`));
    const opened = await backend.open(dir);
    const title = `adapter conformance: ${name} on ${backend.name}`;
    if ("skip" in opened && opened.service !== undefined) {
      rmSync(dir, { recursive: true, force: true });
      describeWithService(opened.service, opened.skip, title, () => {
        it("needs the service", () => {});
      });
      continue;
    }
    if ("skip" in opened) {
      rmSync(dir, { recursive: true, force: true });
      console.warn(`SKIPPED ${title}: ${opened.skip}`);
      describe.skip(`${title} [SKIPPED: ${opened.skip}]`, () => {
        it("needs the store", () => {});
      });
      continue;
    }
    await opened.migrate?.();
    describe(title, () => {
      const store = new InstrumentedStore(opened);
      const apps: AdapterApp[] = [];
      const ctx = {
        store,
        manager: createSessions({ store, secrets: [SECRET] }),
        startWith: async (options: Partial<SessionOptions>) => {
          const manager = createSessions({ store, secrets: [SECRET], ...options });
          const app = await startApp({ manager });
          apps.push(app);
          return new Client(app.url);
        },
      } as SuiteContext;

      beforeAll(async () => {
        const app = await startApp({ manager: ctx.manager });
        apps.push(app);
        ctx.client = new Client(app.url);
      });
      afterAll(async () => {
        await Promise.all(apps.map((a) => a.close()));
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      });

      registerLifecycleTests(ctx);
      registerCookieTests(ctx);
      registerFaultTests(ctx);

      it("exposes the manager to handlers (device list marks this session)", async () => {
        const c = ctx.client;
        const login = await c.post("/login/dev-user");
        const res = await c.get("/devices", { cookie: login.cookie });
        expect(res.status).toBe(200);
        expect(res.json).toEqual({ count: 1, current: true });
      });
    });
  }
}
