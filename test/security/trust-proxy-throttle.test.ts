/**
 * Finding 10 (issue 10): behind a reverse proxy every request comes from the
 * proxy's address, so without TRUST_PROXY a burst of failures locks
 * everyone's logins there. With `TRUST_PROXY=1` (or the proxy's address) the
 * throttle keys on the real client from X-Forwarded-For; without it the
 * header is ignored (a client cannot pick its own address). Each framework.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, DemoClient, type DemoServer, startDemo } from "../support/demo-server.js";

const json = { accept: "application/json" };

async function burst(c: DemoClient, from: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) {
    const r = await c.post(
      "/login",
      { username: ADMIN.username, password: `wrong-${i}` },
      { ...json, "x-forwarded-for": from },
    );
    statuses.push(r.status);
  }
  return statuses;
}

describe.each(["express", "fastify", "hono"])("demo on %s", (framework) => {
  describe("TRUST_PROXY=1: the throttle keys on the forwarded client address", () => {
    let demo: DemoServer;
    beforeAll(async () => {
      demo = await startDemo({ framework, env: { TRUST_PROXY: "1" } });
    });
    afterAll(() => demo?.stop(true));

    it("an attacker's burst is throttled; the owner behind the same proxy still signs in", async () => {
      const statuses = await burst(new DemoClient(demo.url), "198.51.100.66");
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses).toContain(429);
      const owner = new DemoClient(demo.url);
      const r = await owner.post(
        "/login",
        { username: ADMIN.username, password: ADMIN.password },
        { ...json, "x-forwarded-for": "203.0.113.5" },
      );
      expect(r.status).toBe(200);
    });
  });

  describe("no TRUST_PROXY: X-Forwarded-For is ignored", () => {
    let demo: DemoServer;
    beforeAll(async () => {
      demo = await startDemo({ framework });
    });
    afterAll(() => demo?.stop(true));

    it("a client cannot escape its throttle by naming another address", async () => {
      const statuses = await burst(new DemoClient(demo.url), "198.51.100.66");
      expect(statuses).toContain(429);
      const r = await new DemoClient(demo.url).post(
        "/login",
        { username: ADMIN.username, password: ADMIN.password },
        { ...json, "x-forwarded-for": "203.0.113.5" },
      );
      expect(r.status).toBe(429);
    });
  });
});
