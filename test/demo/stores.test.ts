/**
 * The same demo on other `SESSION_STORE`s than the SQLite default: the
 * in-process `memory:` store and the shared Redis. Login, the device list,
 * revocation and logout are the store-dependent paths.
 */

import { createClient } from "redis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DemoClient, type DemoServer, startDemo, uniqueName } from "../support/demo-server.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";

const redisDown = await probe("redis", async () => {
  const c = createClient({ url: SERVICE_URLS.redis, socket: { reconnectStrategy: false } });
  c.on("error", () => {}); // reported by connect()/ping(); without a listener node-redis throws
  await c.connect();
  await c.ping();
  await c.close();
});

const variants: [string, string, string | null][] = [
  ["memory", "memory:", null],
  ["redis", SERVICE_URLS.redis, redisDown],
];

for (const [name, url, unavailable] of variants) {
  describeWithService(name, unavailable, `demo on SESSION_STORE=${name}`, () => {
    let demo: DemoServer;
    beforeAll(async () => {
      demo = await startDemo({ env: { SESSION_STORE: url } });
    });
    afterAll(async () => {
      await demo?.stop(true);
    });

    it("logs in, lists and revokes sessions, logs out", async () => {
      const a = new DemoClient(demo.url);
      const username = uniqueName();
      expect((await a.register(username, "store-password-1")).status).toBe(303);
      const b = new DemoClient(demo.url);
      expect((await b.login(username, "store-password-1")).status).toBe(303);
      const list = (await a.get("/api/sessions")).json<{
        sessions: { id: string; current: boolean }[];
      }>();
      expect(list.sessions).toHaveLength(2);
      const other = list.sessions.find((s) => !s.current)!;
      expect((await a.post(`/sessions/${other.id}/revoke`)).status).toBe(303);
      expect((await b.get("/api/me")).status).toBe(401);
      const h = { "x-csrf-token": await a.csrf() };
      expect((await a.request("PUT", "/api/session/k", { json: [1], headers: h })).status).toBe(
        204,
      );
      expect((await a.get("/api/session")).json()).toEqual({ data: { k: [1] } });
      expect((await a.post("/logout")).status).toBe(303);
      expect((await a.get("/api/me")).status).toBe(401);
    });
  });
}
