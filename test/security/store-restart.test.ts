/**
 * A store that restarts empty (Redis without persistence) logs everyone
 * out, cleanly (REL-06): the old cookie is no session — never a 500 — and
 * the user index lists no ghosts after a new login. Black-box against the
 * demo on a PRIVATE redis-server (no RDB, no AOF) that this test kills and
 * starts again on the same port.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { DemoClient, type DemoServer, startDemo, uniqueName } from "../support/demo-server.js";
import { type PrivateRedis, redisServerMissing, startRedis } from "../support/redis-server.js";
import { describeWithService } from "../support/services.js";

describeWithService(
  "redis-server binary",
  redisServerMissing(),
  "store restart without persistence",
  () => {
    let redis: PrivateRedis;
    let demo: DemoServer;
    beforeAll(async () => {
      redis = await startRedis();
      demo = await startDemo({
        env: { SESSION_STORE: `${redis.url}/0?commandTimeout=500&connectTimeout=500` },
      });
    });
    afterAll(async () => {
      await demo?.stop(true);
      await redis?.stop();
    });

    it("every session ends, the old cookie is anonymous, the device list shows only live sessions", async () => {
      const c = new DemoClient(demo.url);
      const username = uniqueName("s");
      const password = `pw-${username}-long-enough`;
      expect((await c.register(username, password)).status).toBe(303);
      const phone = new DemoClient(demo.url);
      expect((await phone.login(username, password)).status).toBe(303);
      await redis.kill();
      await redis.restart();
      await expect.poll(async () => (await c.get("/api/me")).status, { timeout: 10_000 }).toBe(401);
      expect((await phone.get("/api/me")).status).toBe(401);
      expect((await c.get("/")).status).toBe(200);
      const again = new DemoClient(demo.url);
      expect((await again.login(username, password)).status).toBe(303);
      const list = (await again.get("/api/sessions")).json<{ sessions: { current: boolean }[] }>();
      expect(list.sessions).toHaveLength(1);
      expect(list.sessions[0]!.current).toBe(true);
    });
  },
);
