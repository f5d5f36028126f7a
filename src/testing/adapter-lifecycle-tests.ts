/**
 * Adapter suite, part 1: a session's life as a browser sees it — lazy
 * creation, first write, read-only requests, rotation, logout, concurrent
 * writes, save/reload/streaming.
 */
import { expect, it } from "vitest";
import type { SuiteContext } from "./adapter-suite.js";
import { attributes, listHas } from "./http-client.js";

export function registerLifecycleTests(ctx: SuiteContext): void {
  it("creates nothing for a visitor who never writes: no cookie, no store call", async () => {
    ctx.store.resetCounts();
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => ctx.client.get("/get/cart")),
    );
    for (const r of replies) {
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ value: null, isNew: true, userId: null });
      expect(r.setCookies).toEqual([]);
      // The body depends on the (absent) cookie: shared caches must key on it.
      expect(listHas(r.headers.get("vary"), "cookie")).toBe(true);
    }
    const peek = await ctx.client.get("/peek");
    expect(peek.text).toBe("ok");
    expect(peek.headers.get("vary")).toBeNull();
    expect(ctx.store.total).toBe(0);
  });

  it("first write sets one cookie: HttpOnly, SameSite=Lax, Path=/, no Secure over http", async () => {
    ctx.store.resetCounts();
    const r = await ctx.client.put("/set/cart", [1, 2]);
    expect(r.status).toBe(204);
    expect(r.setCookies).toHaveLength(1);
    expect(r.sessionSetCookie).toMatch(/^cloakroom=[^;]{40,}/);
    const a = attributes(r.sessionSetCookie!);
    expect(a.has("httponly")).toBe(true);
    expect(a.get("samesite")?.toLowerCase()).toBe("lax");
    expect(a.get("path")).toBe("/");
    expect(a.has("secure")).toBe(false);
    // A browser-session cookie unless "remember me" asks otherwise (SM-16).
    expect(a.has("max-age") || a.has("expires")).toBe(false);
    expect(r.headers.get("cache-control")).toBe("private, no-store");
    expect(listHas(r.headers.get("vary"), "cookie")).toBe(true);
    expect(ctx.store.calls.create).toBe(1);
    const back = await ctx.client.get("/get/cart", { cookie: r.cookie });
    expect(back.json).toEqual({ value: [1, 2], isNew: false, userId: null });
  });

  it("a read-only request with a session costs one read and no write, and sets no cookie", async () => {
    const { cookie } = await ctx.client.put("/set/a", 1);
    ctx.store.resetCounts();
    const r = await ctx.client.get("/get/a", { cookie });
    expect(r.json).toMatchObject({ value: 1 });
    expect(r.setCookies).toEqual([]);
    expect(r.headers.get("cache-control")).not.toBe("private, no-store");
    expect(listHas(r.headers.get("vary"), "cookie")).toBe(true);
    expect(ctx.store.calls.get).toBe(1);
    expect(ctx.store.writes).toBe(0);
  });

  it("keeps the app's own Set-Cookie and Vary next to the session's", async () => {
    const r = await ctx.client.post("/app-cookie");
    expect(r.status).toBe(200);
    expect(r.setCookies.some((c) => c.startsWith("theme=dark"))).toBe(true);
    expect(r.sessionSetCookie).toBeDefined();
    expect(listHas(r.headers.get("vary"), "accept-encoding")).toBe(true);
    expect(listHas(r.headers.get("vary"), "cookie")).toBe(true);
  });

  it("regenerate gives a new token and kills the old one at once", async () => {
    const first = await ctx.client.put("/set/kept", "yes");
    const r = await ctx.client.post("/regenerate", { cookie: first.cookie });
    expect(r.status).toBe(204);
    expect(r.cookie).toBeDefined();
    expect(r.cookie).not.toBe(first.cookie);
    const old = await ctx.client.get("/get/kept", { cookie: first.cookie });
    expect(old.json).toEqual({ value: null, isNew: true, userId: null });
    const fresh = await ctx.client.get("/get/kept", { cookie: r.cookie });
    expect(fresh.json).toEqual({ value: "yes", isNew: false, userId: null });
  });

  it("login rotates the token and signs the user in; the pre-login token is dead", async () => {
    const anon = await ctx.client.put("/set/before", 1);
    const r = await ctx.client.post("/login/alice", { cookie: anon.cookie });
    expect(r.cookie).not.toBe(anon.cookie);
    expect((await ctx.client.get("/get/before", { cookie: r.cookie })).json).toEqual({
      value: 1,
      isNew: false,
      userId: "alice",
    });
    expect((await ctx.client.get("/get/before", { cookie: anon.cookie })).json).toMatchObject({
      isNew: true,
      userId: null,
    });
  });

  it("logout removes the record at once and clears the cookie with the same Path", async () => {
    const login = await ctx.client.post("/login/bob-logout");
    expect(await ctx.manager.listUserSessions("bob-logout")).toHaveLength(1);
    const r = await ctx.client.post("/logout", { cookie: login.cookie });
    expect(r.status).toBe(204);
    expect(r.sessionSetCookie).toMatch(/^cloakroom=;/);
    const a = attributes(r.sessionSetCookie!);
    expect(a.get("path")).toBe("/");
    expect(a.get("max-age") === "0" || /1970/.test(a.get("expires") ?? "")).toBe(true);
    expect(await ctx.manager.listUserSessions("bob-logout")).toEqual([]);
    const after = await ctx.client.get("/get/x", { cookie: login.cookie });
    expect(after.json).toMatchObject({ isNew: true, userId: null });
  });

  it("keeps all 50 keys written by 50 concurrent requests on one session", async () => {
    const { cookie } = await ctx.client.put("/set/k0", 0);
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => ctx.client.put(`/set/k${i + 1}`, i + 1, { cookie })),
    );
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 204));
    const all = (await ctx.client.get("/all", { cookie })).json as { data: Record<string, number> };
    expect(Object.keys(all.data)).toHaveLength(51);
    for (let i = 0; i <= 50; i++) expect(all.data[`k${i}`]).toBe(i);
  });

  it("deletes a key", async () => {
    const { cookie } = await ctx.client.put("/set/gone", 1);
    expect((await ctx.client.del("/del/gone", { cookie })).status).toBe(204);
    expect((await ctx.client.get("/get/gone", { cookie })).json).toMatchObject({ value: null });
  });

  it("refuses a value mutated in place, and the stored value is unchanged", async () => {
    const { cookie } = await ctx.client.put("/set/list", [1, 2, 3]);
    const r = await ctx.client.post("/mutate/list", { cookie });
    expect(r.json).toEqual({ refused: true });
    expect((await ctx.client.get("/get/list", { cookie })).json).toMatchObject({
      value: [1, 2, 3],
    });
  });

  it("reload() drops unsaved changes and reads the store again", async () => {
    const { cookie } = await ctx.client.put("/set/r", "stored");
    const r = await ctx.client.post("/reload/r", { cookie });
    expect(r.json).toEqual({ value: "stored" });
    expect((await ctx.client.get("/get/r", { cookie })).json).toMatchObject({ value: "stored" });
  });

  it("save() before streaming puts the cookie on the streamed response, once", async () => {
    const r = await ctx.client.get("/stream");
    expect(r.status).toBe(200);
    expect(r.text).toBe("abc");
    expect(r.setCookies.filter((c) => c.startsWith("cloakroom="))).toHaveLength(1);
    const back = await ctx.client.get("/get/streamed", { cookie: r.cookie });
    expect(back.json).toMatchObject({ value: true });
  });

  it("secret rotation: an old-secret cookie works and is re-issued; refused once dropped", async () => {
    const OLD = "old-secret-for-rotation-0123456789abcdef-01234";
    const NEW = "new-secret-for-rotation-0123456789abcdef-01234";
    const oldApp = await ctx.startWith({ secrets: [OLD] });
    const both = await ctx.startWith({ secrets: [NEW, OLD] });
    const newOnly = await ctx.startWith({ secrets: [NEW] });
    const { cookie: oldCookie } = await oldApp.put("/set/who", "rotating");
    const r = await both.get("/get/who", { cookie: oldCookie });
    expect(r.json).toMatchObject({ value: "rotating", isNew: false });
    expect(r.cookie).toBeDefined();
    expect(r.cookie).not.toBe(oldCookie);
    expect((await newOnly.get("/get/who", { cookie: r.cookie })).json).toMatchObject({
      value: "rotating",
    });
    expect((await newOnly.get("/get/who", { cookie: oldCookie })).json).toMatchObject({
      value: null,
      isNew: true,
    });
  });
}
