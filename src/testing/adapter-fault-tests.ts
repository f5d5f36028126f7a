/**
 * Adapter suite, part 3: failures. A store that is down answers 503 (no
 * cookie, nothing half-written) and the app recovers when it returns; a write
 * past the size limit answers 413 and leaves the stored session as it was,
 * whether the limit is hit in the handler or found by the store at commit;
 * the same holds for the smaller limit of an anonymous session.
 */
import { expect, it } from "vitest";
import type { SuiteContext } from "./adapter-suite.js";

export function registerFaultTests(ctx: SuiteContext): void {
  it("store down: 503 without a cookie, for reads and for a first write; recovers by itself", async () => {
    const { cookie } = await ctx.client.put("/set/safe", "kept");
    ctx.store.down = true;
    try {
      const read = await ctx.client.get("/get/safe", { cookie });
      expect(read.status).toBe(503);
      expect(read.setCookies).toEqual([]);
      // Nothing to read for an anonymous visitor, so the failure is at commit time.
      const write = await ctx.client.put("/set/new", 1);
      expect(write.status).toBe(503);
      expect(write.setCookies).toEqual([]);
      const logout = await ctx.client.post("/logout", { cookie });
      expect(logout.status).toBe(503);
    } finally {
      ctx.store.down = false;
    }
    const back = await ctx.client.get("/get/safe", { cookie });
    expect(back.status).toBe(200);
    expect(back.json).toMatchObject({ value: "kept", isNew: false });
  });

  /** A signed-in session (the 64 KiB limit; anonymous ones have their own, smaller one). */
  const signedIn = async (user: string) => {
    const { cookie } = await ctx.client.post(`/login/${user}`);
    expect(cookie).toBeDefined();
    return cookie;
  };

  it("a write over the size limit is refused with 413 and the stored session is unchanged", async () => {
    const cookie = await signedIn("big-writer");
    expect((await ctx.client.put("/set/small", "s", { cookie })).status).toBe(204);
    const r = await ctx.client.put("/set/big", "x".repeat(70 * 1024), { cookie });
    expect(r.status).toBe(413);
    const all = await ctx.client.get("/all", { cookie });
    expect(all.json).toMatchObject({ data: { small: "s" } });
    expect((all.json as { data: object }).data).not.toHaveProperty("big");
  });

  it("413 also when the store finds the limit passed at commit (two requests racing)", async () => {
    const cookie = await signedIn("racing-writer");
    expect((await ctx.client.put("/set/base", 0, { cookie })).status).toBe(204);
    const held = ctx.store.holdNextPatch();
    const slow = ctx.client.put("/set/first", "a".repeat(40 * 1024), { cookie });
    await held.entered;
    // The second request loads the session before the first one's patch lands: each fits alone.
    const fast = await ctx.client.put("/set/second", "b".repeat(40 * 1024), { cookie });
    expect(fast.status).toBe(204);
    held.release();
    expect((await slow).status).toBe(413);
    const data = ((await ctx.client.get("/all", { cookie })).json as { data: object }).data;
    expect(Object.keys(data).sort()).toEqual(["base", "second"]);
  });

  it("an anonymous session has the smaller limit: 413 past it, nothing stored; signing in lifts it", async () => {
    // No session yet: the refused write creates nothing and sets no cookie.
    const first = await ctx.client.put("/set/big", "x".repeat(8 * 1024));
    expect(first.status).toBe(413);
    expect(first.cookie).toBeUndefined();
    const { cookie } = await ctx.client.put("/set/small", "s");
    expect(cookie).toBeDefined();
    expect((await ctx.client.put("/set/big", "x".repeat(8 * 1024), { cookie })).status).toBe(413);
    expect((await ctx.client.get("/all", { cookie })).json).toMatchObject({ data: { small: "s" } });
    const login = await ctx.client.post("/login/grown-up", { cookie });
    expect(
      (await ctx.client.put("/set/big", "x".repeat(8 * 1024), { cookie: login.cookie })).status,
    ).toBe(204);
  });

  it("the anonymous limit is also checked atomically by the store at commit (two requests racing)", async () => {
    const { cookie } = await ctx.client.put("/set/base", 0);
    const held = ctx.store.holdNextPatch();
    const slow = ctx.client.put("/set/first", "a".repeat(2500), { cookie });
    await held.entered;
    // Each fits alone under 4 KiB; together they do not.
    const fast = await ctx.client.put("/set/second", "b".repeat(2500), { cookie });
    expect(fast.status).toBe(204);
    held.release();
    expect((await slow).status).toBe(413);
    const data = ((await ctx.client.get("/all", { cookie })).json as { data: object }).data;
    expect(Object.keys(data).sort()).toEqual(["base", "second"]);
  });
}
