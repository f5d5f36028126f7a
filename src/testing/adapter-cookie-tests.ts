/**
 * Adapter suite, part 2: the cookie itself — Secure and `__Host-` behind a
 * trusted proxy only, clearing with the issuing attributes, and hostile
 * Cookie headers that must give a fresh anonymous session, never a 500.
 */
import { expect, it } from "vitest";
import type { SuiteContext } from "./adapter-suite.js";
import { attributes } from "./http-client.js";

export function registerCookieTests(ctx: SuiteContext): void {
  it("behind a trusted proxy, HTTPS (first X-Forwarded-Proto hop) gives a Secure __Host- cookie", async () => {
    const proxied = await ctx.startWith({ trustProxy: true });
    const https = { "x-forwarded-proto": "https" };
    const r = await proxied.put("/set/p", 1, { headers: https });
    expect(r.sessionSetCookie).toMatch(/^__Host-cloakroom=/);
    const a = attributes(r.sessionSetCookie!);
    expect(a.has("secure")).toBe(true);
    expect(a.get("path")).toBe("/");
    expect(a.has("domain")).toBe(false);
    const back = await proxied.get("/get/p", { cookie: r.cookie, headers: https });
    expect(back.json).toMatchObject({ value: 1 });
    // Only the client-facing hop counts: "http, https" is a plain-HTTP client.
    const spoofed = await proxied.put("/set/p", 1, {
      headers: { "x-forwarded-proto": "http, https" },
    });
    expect(spoofed.sessionSetCookie).toMatch(/^cloakroom=/);
    expect(attributes(spoofed.sessionSetCookie!).has("secure")).toBe(false);
  });

  it("without trustProxy, X-Forwarded-Proto is ignored", async () => {
    const r = await ctx.client.put("/set/p", 1, { headers: { "x-forwarded-proto": "https" } });
    expect(r.sessionSetCookie).toMatch(/^cloakroom=/);
    expect(attributes(r.sessionSetCookie!).has("secure")).toBe(false);
  });

  it("clears the cookie with the Path and Domain it was issued with", async () => {
    const scoped = await ctx.startWith({ cookie: { domain: "app.example.test", path: "/" } });
    const r = await scoped.put("/set/d", 1);
    expect(attributes(r.sessionSetCookie!).get("domain")).toBe("app.example.test");
    const out = await scoped.post("/logout", { cookie: r.cookie });
    expect(out.sessionSetCookie).toMatch(/^cloakroom=;/);
    const a = attributes(out.sessionSetCookie!);
    expect(a.get("domain")).toBe("app.example.test");
    expect(a.get("path")).toBe("/");
  });

  it("hostile cookies give a fresh anonymous session, never a 500, and forged ones never reach the store", async () => {
    const { cookie } = await ctx.client.put("/set/h", "mine");
    const value = cookie!.slice("cloakroom=".length);
    const flipped = value.slice(0, -2) + (value.at(-2) === "A" ? "B" : "A") + value.at(-1);
    const forged = [
      `cloakroom=${flipped}`,
      `cloakroom=${value.slice(0, -4)}`,
      "cloakroom=garbage",
      "cloakroom=",
      `cloakroom=${"x".repeat(10 * 1024)}`,
      "cloakroom=%E0%A4%A",
      'cloakroom="abc',
      ";;;",
      "=",
      "cloakroom",
      "__proto__=x; constructor=y; cloakroom=a.b.c",
      `cloakroom=garbage; cloakroom=${value}`,
    ];
    ctx.store.resetCounts();
    for (const c of forged) {
      const r = await ctx.client.get("/get/h", { cookie: c });
      expect(r.status, c.slice(0, 60)).toBe(200);
      expect(r.json, c.slice(0, 60)).toMatchObject({ value: null, isNew: true });
    }
    expect(ctx.store.calls.get).toBe(0);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    // Duplicated names: the first one counts (jshttp/cookie), so a valid first cookie still works.
    const first = await ctx.client.get("/get/h", { cookie: `cloakroom=${value}; cloakroom=junk` });
    expect(first.json).toMatchObject({ value: "mine" });
  });
}
