/**
 * The adapter conformance suite: the session semantics (cookie attributes,
 * lazy creation, field-level writes, rotation, logout, hostile cookies, a
 * store that is down, the size limit) as a browser sees them, over real HTTP
 * on 127.0.0.1. Cloakroom's Express, Fastify, Hono and fetch adapters pass it;
 * an adapter for another framework proves itself by calling
 * `await adapterConformance("koa", startApp)` from a Vitest test file, where
 * `startApp` serves these routes with that framework (Cloakroom's own are in
 * its `test/adapters/*.test.ts`):
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
import { createSessions, type SessionManager } from "../core/manager.js";
import type { SessionOptions } from "../core/options.js";
import type { SessionStore } from "../core/store.js";
import { MemoryStore } from "../stores/memory/index.js";
import { registerCookieTests } from "./adapter-cookie-tests.js";
import { registerFaultTests } from "./adapter-fault-tests.js";
import { registerLifecycleTests } from "./adapter-lifecycle-tests.js";
import { Client } from "./http-client.js";
import { InstrumentedStore } from "./instrumented-store.js";

/** A running app under test: its base URL (`http://127.0.0.1:<port>`) and how to stop it. */
export interface AdapterApp {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the app of the routes above on a free port, its sessions from
 * `manager` (the suite starts several: other options, other secrets).
 */
export type StartApp = (opts: { manager: SessionManager }) => Promise<AdapterApp>;

/** What each group of tests gets: the running app, its store, and a way to start variants. */
export interface SuiteContext {
  client: Client;
  store: InstrumentedStore;
  manager: SessionManager;
  /** Starts another app on the same store with other options (closed after the suite). */
  startWith(options: Partial<SessionOptions>): Promise<Client>;
}

/** Why a store cannot run here; `service` names the server that did not answer. */
export interface SkippedStore {
  skip: string;
  service?: string;
}

/** A store the suite runs the adapter on. */
export interface AdapterStore {
  name: string;
  /** The store, or why it cannot run here. `dir` is a fresh temporary folder, removed afterwards. */
  open(dir: string): Promise<SessionStore | SkippedStore>;
}

export interface AdapterConformanceOptions {
  /**
   * The stores to run on, one suite each.
   * @default one in-memory store
   */
  stores?: readonly AdapterStore[];
  /**
   * Registers the suite of a store that could not open, in place of it (for
   * example a failing test when a CI run requires every service).
   * @default `describe.skip` with the reason in its title, and a warning
   */
  onSkip?(title: string, skipped: SkippedStore): void;
}

/** The secret of the suite's managers. */
export const ADAPTER_SUITE_SECRET = "adapter-suite-secret-0123456789abcdef-0123456789";

const MEMORY: AdapterStore = {
  name: "memory",
  open: async () => new MemoryStore({ sweepInterval: 0 }),
};

function skipped(title: string, s: SkippedStore): void {
  console.warn(`SKIPPED ${title}: ${s.skip}`);
  describe.skip(`${title} [SKIPPED: ${s.skip}]`, () => {
    it("needs the store", () => {});
  });
}

/**
 * Registers the adapter conformance suite for the adapter `name`, once per
 * store. Call it at the top level of a Vitest test file, awaited (stores are
 * opened before the tests are registered, so one that cannot open is skipped
 * by name).
 * @example
 * await adapterConformance("koa", async ({ manager }) => startKoaApp(manager));
 */
export async function adapterConformance(
  name: string,
  startApp: StartApp,
  options: AdapterConformanceOptions = {},
): Promise<void> {
  for (const backend of options.stores ?? [MEMORY]) {
    const dir = mkdtempSync(join(tmpdir(), `cloakroom-adapter-${name}-`));
    const title = `adapter conformance: ${name} on ${backend.name}`;
    let opened: SessionStore | SkippedStore;
    try {
      opened = await backend.open(dir);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    if ("skip" in opened) {
      rmSync(dir, { recursive: true, force: true });
      (options.onSkip ?? skipped)(title, opened);
      continue;
    }
    await opened.migrate?.();
    describe(title, () => {
      const store = new InstrumentedStore(opened);
      const apps: AdapterApp[] = [];
      const ctx = {
        store,
        manager: createSessions({ store, secrets: [ADAPTER_SUITE_SECRET] }),
        startWith: async (options: Partial<SessionOptions>) => {
          const manager = createSessions({ store, secrets: [ADAPTER_SUITE_SECRET], ...options });
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
