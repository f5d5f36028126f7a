/**
 * Fail closed, say nothing (ASVS 5.0 V16.5.1–16.5.3, ASVS 4.0.3 V4.1.5,
 * REL-01, REL-03, CK-14): while the demo's session store is down, a
 * signed-in cookie never reads as anonymous-with-access, a login never
 * "succeeds" without a stored session, a logout never claims success while
 * the session lives on, no 503 touches the browser's cookie, and no body
 * leaks a driver message, a stack or the store's address. When the store
 * returns, the same cookie works again. The store is a PRIVATE redis-server
 * (append-only, fsync always) that this test kills and restarts; the demo
 * contract's outage test covers the plain 503-and-recover path.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { DemoClient, type DemoServer, startDemo, uniqueName } from "../support/demo-server.js";
import { type PrivateRedis, redisServerMissing, startRedis } from "../support/redis-server.js";
import { describeWithService } from "../support/services.js";

describeWithService(
  "redis-server binary",
  redisServerMissing(),
  "fail closed with the store down",
  () => {
    let redis: PrivateRedis;
    let demo: DemoServer;
    beforeAll(async () => {
      redis = await startRedis(["appendonly yes", "appendfsync always"]);
      demo = await startDemo({
        env: { SESSION_STORE: `${redis.url}/0?commandTimeout=500&connectTimeout=500` },
      });
    });
    afterAll(async () => {
      await demo?.stop(true);
      await redis?.stop();
    });

    /** Nothing internal in a body: no driver error text, no stack frame, no store address. */
    function expectOpaque(text: string, what: string): void {
      for (const leak of [
        /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ClientClosedError|SocketClosed/i,
        /StoreUnavailableError|session store \(redis\) failed/,
        /\bat .+\.(ts|js):\d+/,
        new RegExp(`127\\.0\\.0\\.1:${redis.port}`),
        /redis:\/\//,
      ]) {
        expect(text, `${what} leaks ${leak}`).not.toMatch(leak);
      }
    }

    it("refuses, keeps the cookie, tells nothing, and recovers with the session intact", async () => {
      const c = new DemoClient(demo.url);
      const username = uniqueName("f");
      const password = `pw-${username}-long-enough`;
      expect((await c.register(username, password)).status).toBe(303);
      const csrf = await c.csrf();
      const cookie = c.jar.get("cloakroom")!;
      const stranger = new DemoClient(demo.url);
      const strangerCsrf = await stranger.csrf();

      await redis.kill();
      try {
        const replies = {
          me: await c.get("/api/me"),
          page: await c.get("/sessions"),
          logout: await c.request("POST", "/logout", { form: { _csrf: csrf } }),
          login: await stranger.request("POST", "/login", {
            form: { username, password, _csrf: strangerCsrf },
          }),
          put: await c.request("PUT", "/api/session/k", {
            json: 1,
            headers: { "x-csrf-token": csrf },
          }),
        };
        for (const [what, r] of Object.entries(replies)) {
          // ASVS 4.0.3 V4.1.5: an error while loading the session is never access, nor "anonymous" with a 200.
          expect(r.status, what).toBe(503);
          // CK-14: browsers apply Set-Cookie on a 503 too; none may clear or replace the good cookie.
          expect(r.setCookies, what).toEqual([]);
          expectOpaque(r.text, what);
        }
        expect(c.jar.get("cloakroom")).toBe(cookie);
      } finally {
        await redis.restart();
      }

      // REL-03: the logout that failed did not half-happen; the user can retry it.
      await expect.poll(async () => (await c.get("/api/me")).status, { timeout: 10_000 }).toBe(200);
      expect((await c.get("/api/me")).json()).toMatchObject({ username });
      // The login refused during the outage left the stranger anonymous.
      expect((await stranger.get("/api/me")).status).toBe(401);
      expect((await c.post("/logout")).status).toBe(303);
      const copy = new DemoClient(demo.url);
      copy.jar.set("cloakroom", cookie);
      expect((await copy.get("/api/me")).status).toBe(401);
      // The demo's own log names the failure (operators need it); the client saw none of it.
      expect(demo.logs()).toMatch(/unavailable|failed/i);
    });
  },
);
