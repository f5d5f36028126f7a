/**
 * Authorization is decided on fresh data: a role removed by an admin counts
 * at the user's next request, a deleted user loses the session, and sudo
 * mode expires on the (fake) clock.
 */
import { describe, expect, it } from "vitest";
import { memoryApp, signIn } from "../support/auth-fixture.js";

const MIN = 60_000;

async function adminApp() {
  const app = memoryApp({
    permissions: { admin: ["users:read", "users:revoke"], support: ["users:read"] },
  });
  const id = await app.users.add("root", "admin password", ["admin"]);
  const { cookie } = await signIn(app, "root", "admin password");
  return { app, id, cookie };
}

describe("guards", () => {
  it("requireUser: 401 for an anonymous session, the fresh user otherwise", async () => {
    const { app, cookie } = await adminApp();
    expect(await app.auth.requireUser(await app.open())).toEqual({
      ok: false,
      status: 401,
      reason: "unauthenticated",
    });
    const r = await app.auth.requireUser(await app.open(cookie));
    expect(r).toMatchObject({ ok: true, user: { username: "root", roles: ["admin"] } });
  });

  it("requireRole: any of the roles passes; none is 403", async () => {
    const { app, cookie } = await adminApp();
    const s = await app.open(cookie);
    expect((await app.auth.requireRole(s, "support", "admin")).ok).toBe(true);
    expect(await app.auth.requireRole(s, "support")).toEqual({
      ok: false,
      status: 403,
      reason: "forbidden",
    });
    expect((await app.auth.requireRole(await app.open(), "admin")).ok).toBe(false);
  });

  it("requirePermission: all of them are needed, from the role map and the directory", async () => {
    const { app, id, cookie } = await adminApp();
    const s = await app.open(cookie);
    expect((await app.auth.requirePermission(s, "users:read", "users:revoke")).ok).toBe(true);
    expect(await app.auth.requirePermission(s, "users:read", "billing:write")).toMatchObject({
      status: 403,
    });
    // A role named like an Object.prototype key grants nothing.
    app.users.rows.get(id)!.roles = ["constructor", "__proto__"];
    expect((await app.auth.requirePermission(await app.open(cookie), "users:read")).ok).toBe(false);
  });

  it("a role removed by an admin is gone at the next request, without a new login", async () => {
    const { app, id, cookie } = await adminApp();
    const first = await app.open(cookie);
    expect((await app.auth.requireRole(first, "admin")).ok).toBe(true);
    await app.finish(first, cookie);

    app.users.rows.get(id)!.roles = ["user"]; // the admin's demotion, straight in the directory
    const next = await app.open(cookie);
    expect(next.userId).toBe(id); // same session, still signed in
    expect(await app.auth.requireRole(next, "admin")).toMatchObject({ ok: false, status: 403 });
    // …and the demotion rotates the token (SM-05): the old cookie is dead after this request.
    const { cookie: rotated } = await app.finish(next, cookie);
    expect(rotated).not.toBe(cookie);
    expect((await app.open(cookie)).userId).toBeNull();
    expect((await app.open(rotated)).userId).toBe(id);
  });

  it("looks the user up once per request, however many guards run", async () => {
    const { app, cookie } = await adminApp();
    const s = await app.open(cookie);
    const before = app.users.findByIdCalls;
    await app.auth.requireUser(s);
    await app.auth.requireRole(s, "admin");
    await app.auth.requirePermission(s, "users:read");
    expect(app.users.findByIdCalls - before).toBe(1);
    await app.auth.requireUser(await app.open(cookie));
    expect(app.users.findByIdCalls - before).toBe(2);
  });

  it("a deleted user's session is destroyed at the next request", async () => {
    const { app, id, cookie } = await adminApp();
    app.users.rows.delete(id);
    const s = await app.open(cookie);
    expect(await app.auth.currentUser(s)).toBeNull();
    const out = await app.finish(s, cookie);
    expect(out.setCookie).toMatch(/Max-Age=0/);
    expect((await app.open(cookie)).userId).toBeNull();
  });
});

describe("sudo mode (requireRecentAuth)", () => {
  it("passes right after login, asks again after sudoMaxAge, passes after reauthenticate", async () => {
    const app = memoryApp({ sudoMaxAge: "5m" });
    await app.users.add("alice", "correct horse");
    const { cookie } = await signIn(app, "alice", "correct horse");
    expect((await app.auth.requireRecentAuth(await app.open(cookie))).ok).toBe(true);

    app.clock.advance(5 * MIN + 1);
    const s = await app.open(cookie);
    expect(await app.auth.requireRecentAuth(s)).toEqual({
      ok: false,
      status: 401,
      reason: "reauth",
    });
    expect((await app.auth.requireRecentAuth(s, 10 * MIN)).ok).toBe(true); // per-route override

    expect(await app.auth.reauthenticate(s, "wrong horse")).toEqual({
      ok: false,
      reason: "invalid",
    });
    expect((await app.auth.requireRecentAuth(s)).ok).toBe(false);
    expect((await app.auth.reauthenticate(s, "correct horse")).ok).toBe(true);
    const { cookie: c2 } = await app.finish(s, cookie);
    expect(c2).not.toBe(cookie); // step-up renews the token (SM-05)
    expect((await app.auth.requireRecentAuth(await app.open(c2))).ok).toBe(true);
  });

  it("reauthenticate on an anonymous session is unauthenticated", async () => {
    const app = memoryApp();
    expect(await app.auth.reauthenticate(await app.open(), "x")).toEqual({
      ok: false,
      reason: "unauthenticated",
    });
  });
});
