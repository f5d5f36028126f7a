/**
 * Headers a client can forge change nothing unless a proxy is trusted
 * (ASVS 5.0 V4.1.3, V15.3.4; REL-52; @fastify/session #342): against the
 * demo, which trusts no proxy, `X-Forwarded-Proto: https` does not make the
 * cookie Secure, `X-Forwarded-For` does not become the recorded device
 * address, and rotating it does not escape the per-address login throttle.
 * (With `trustProxy: true` the first X-Forwarded-Proto hop is honoured: the
 * adapter suite proves that side.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DemoClient, type DemoServer, startDemo, uniqueName } from "../support/demo-server.js";

let demo: DemoServer;
beforeAll(async () => {
  demo = await startDemo();
});
afterAll(async () => {
  await demo?.stop(true);
});

describe("untrusted forwarding headers", () => {
  it("X-Forwarded-Proto: https over plain HTTP gives no Secure cookie and no __Host- prefix", async () => {
    const c = new DemoClient(demo.url);
    const headers = { "x-forwarded-proto": "https", forwarded: "proto=https" };
    const r = await c.get("/api/csrf", { headers });
    const line = r.setCookies.find((l) => /^(__Host-)?cloakroom=/.test(l))!;
    expect(line).toMatch(/^cloakroom=/);
    expect(line).not.toMatch(/;\s*Secure/i);
  });

  it("X-Forwarded-For is not the address recorded for the device", async () => {
    const c = new DemoClient(demo.url);
    const username = uniqueName("p");
    await c.register(username, `pw-${username}-long-enough`);
    const list = (
      await c.get("/api/sessions", { headers: { "x-forwarded-for": "198.51.100.77" } })
    ).json<{ sessions: { ip: string | null }[] }>();
    for (const s of list.sessions) expect(s.ip).not.toBe("198.51.100.77");
  });

  it("rotating X-Forwarded-For does not escape the per-address throttle on password spraying", async () => {
    const c = new DemoClient(demo.url);
    let throttledAt = 0;
    for (let i = 1; i <= 110 && throttledAt === 0; i++) {
      const r = await c.post(
        "/login",
        { username: uniqueName("spray"), password: "Winter2026!spray" },
        { "x-forwarded-for": `203.0.113.${i % 250}`, accept: "application/json" },
      );
      if (r.status === 429) {
        throttledAt = i;
        expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
      } else expect(r.status).toBe(401);
    }
    // Every attempt came from 127.0.0.1 whatever the header said: the address limit applies.
    expect(throttledAt).toBeGreaterThan(0);
    // 100 failures per address (NAT-friendly), then one attempt per delay period.
    expect(throttledAt).toBeLessThanOrEqual(102);
  }, 60_000);
});
