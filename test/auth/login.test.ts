/**
 * Login rotates the session (fixation), records user and device, and
 * "remember me" changes the cookie and lifetime; the logout family ends
 * exactly the sessions it names.
 */
import { describe, expect, it } from "vitest";
import { csrfToken, verifyCsrf } from "../../src/auth/index.js";
import { memoryApp, signIn, UA } from "../support/auth-fixture.js";

const DAY = 86_400_000;

describe("login", () => {
  it("rotates the token: the pre-login cookie is dead, the new one carries the user and device", async () => {
    const app = memoryApp();
    const id = await app.users.add("alice", "correct horse");
    const pre = await app.open(null, UA.safariIphone, "198.51.100.4");
    pre.set("cart", [1, 2]);
    const { cookie: c0 } = await app.finish(pre);
    expect(c0).not.toBeNull();

    const s = await app.open(c0, UA.safariIphone, "198.51.100.4");
    const r = await app.auth.login(s, { username: "alice", password: "correct horse" });
    expect(r).toEqual({ ok: true, user: { id, username: "alice", roles: [] } });
    const { cookie: c1 } = await app.finish(s, c0);
    expect(c1).not.toBeNull();
    expect(c1).not.toBe(c0);

    const old = await app.open(c0);
    expect(old.userId).toBeNull();
    expect(old.isNew).toBe(true);
    const now = await app.open(c1);
    expect(now.userId).toBe(id);
    expect(now.get("cart")).toBeUndefined(); // pre-login data is not promoted (SM-06)
    const [row] = await app.auth.devices(now);
    expect(row).toMatchObject({ current: true, device: "Safari on iPhone", ip: "198.51.100.4" });
  });

  it("carries over only the keys in keepOnLogin", async () => {
    const app = memoryApp({ keepOnLogin: ["cart"] });
    await app.users.add("alice", "correct horse");
    const s = await app.open();
    s.set("cart", [1]).set("tracking", "x");
    await app.auth.login(s, { username: "alice", password: "correct horse" });
    const { cookie } = await app.finish(s);
    const after = await app.open(cookie);
    expect(after.toJSON()).toEqual({ cart: [1] });
  });

  it("gives unknown user and wrong password the very same answer", async () => {
    const app = memoryApp({ throttle: false });
    await app.users.add("alice", "correct horse");
    const s = await app.open();
    const wrong = await app.auth.login(s, { username: "alice", password: "wrong horse" });
    const unknown = await app.auth.login(s, { username: "mallory", password: "wrong horse" });
    expect(wrong).toEqual({ ok: false, reason: "invalid" });
    expect(unknown).toBe(wrong); // one frozen object: nothing can differ
    expect(s.isDirty).toBe(false); // a failed login writes nothing (no session puzzling)
    expect(JSON.stringify(s.toJSON())).not.toContain("horse");
  });

  it("refuses badly typed credentials as invalid, without a throw", async () => {
    const app = memoryApp({ throttle: false });
    await app.users.add("alice", "correct horse");
    const s = await app.open();
    for (const input of [
      { username: ["alice"], password: "correct horse" },
      { username: "alice", password: ["correct horse"] },
      { username: "alice", password: { toString: () => "correct horse" } },
      { username: "alice", password: "x".repeat(1025) },
      { username: "", password: "correct horse" },
      { username: "__proto__", password: "correct horse" },
    ]) {
      expect(await app.auth.login(s, input)).toEqual({ ok: false, reason: "invalid" });
    }
    expect(s.userId).toBeNull();
  });

  it("plain login: a browser-session cookie and the default absolute lifetime", async () => {
    const app = memoryApp();
    await app.users.add("alice", "correct horse");
    const { cookie, setCookie } = await signIn(app, "alice", "correct horse");
    expect(setCookie).not.toMatch(/Max-Age|Expires/i);
    const s = await app.open(cookie);
    expect(s.absoluteExpiresAt! - app.clock.t).toBe(12 * 3_600_000);
  });

  it("remember me: a persistent cookie and the longer lifetime, kept through a password re-check", async () => {
    const app = memoryApp({ remember: { absoluteTimeout: "14d" } });
    await app.users.add("alice", "correct horse");
    const { cookie, setCookie } = await signIn(app, "alice", "correct horse", { remember: true });
    expect(setCookie).toMatch(new RegExp(`Max-Age=${14 * 86_400}(;|$)`));
    expect((await app.open(cookie)).absoluteExpiresAt! - app.clock.t).toBe(14 * DAY);

    // A later request (inside the idle timeout: a request loads a live session)
    // re-checks the password, which rotates the session.
    app.clock.advance(20 * 60_000);
    const s = await app.open(cookie);
    expect((await app.auth.reauthenticate(s, "correct horse")).ok).toBe(true);
    const out = await app.finish(s, cookie);
    expect(out.setCookie).toMatch(/Max-Age=\d+/);
    expect(out.cookie).not.toBe(cookie);
  });

  it("gives the signed-in session a new CSRF secret: a pre-login token fails after login", async () => {
    const app = memoryApp();
    await app.users.add("alice", "correct horse");
    const s = await app.open();
    const t0 = csrfToken(s);
    expect(verifyCsrf(s, t0)).toBe(true);
    await app.auth.login(s, { username: "alice", password: "correct horse" });
    const { cookie } = await app.finish(s);
    const after = await app.open(cookie);
    expect(verifyCsrf(after, t0)).toBe(false);
  });

  it("rehashes a password stored with other parameters, at the next successful login", async () => {
    const app = memoryApp();
    const weak = await (await import("../../src/auth/password.js"))
      .createPasswordHasher({ memoryCost: 512, timeCost: 1 })
      .hash("correct horse");
    const id = await app.users.add("alice", "", [], weak);
    await signIn(app, "alice", "correct horse");
    const stored = app.users.rows.get(id)!.passwordHash;
    expect(stored).not.toBe(weak);
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(app.auth.hasher.needsRehash(stored)).toBe(false);
  });
});

describe("logout, everywhere, others, one", () => {
  async function threeDevices() {
    const app = memoryApp();
    await app.users.add("alice", "correct horse");
    await app.users.add("bob", "battery staple");
    const a = await signIn(app, "alice", "correct horse", { userAgent: UA.firefoxLinux });
    const b = await signIn(app, "alice", "correct horse", { userAgent: UA.safariIphone });
    const c = await signIn(app, "alice", "correct horse", { userAgent: UA.chromeWindows });
    const bob = await signIn(app, "bob", "battery staple");
    const alive = async (cookie: string) => (await app.open(cookie)).userId !== null;
    return { app, a: a.cookie, b: b.cookie, c: c.cookie, bob: bob.cookie, alive };
  }

  it("logout ends this session only and clears the cookie", async () => {
    const { app, a, b, alive } = await threeDevices();
    const s = await app.open(a);
    await app.auth.logout(s);
    const out = await app.finish(s, a);
    expect(out.setCookie).toMatch(/Max-Age=0/);
    expect(await alive(a)).toBe(false);
    expect(await alive(b)).toBe(true);
  });

  it("logoutEverywhere ends all of the user's sessions, no one else's", async () => {
    const { app, a, b, c, bob, alive } = await threeDevices();
    const s = await app.open(a);
    expect(await app.auth.logoutEverywhere(s)).toBe(3);
    await app.finish(s, a);
    for (const k of [a, b, c]) expect(await alive(k)).toBe(false);
    expect(await alive(bob)).toBe(true);
  });

  it("revokeOthers keeps only this one", async () => {
    const { app, a, b, c, alive } = await threeDevices();
    const s = await app.open(a);
    expect(await app.auth.revokeOthers(s)).toBe(2);
    await app.finish(s, a);
    expect(await alive(a)).toBe(true);
    expect(await alive(b)).toBe(false);
    expect(await alive(c)).toBe(false);
  });

  it("revokeSession ends one session by handle, and refuses another user's handle", async () => {
    const { app, a, b, c, bob, alive } = await threeDevices();
    const s = await app.open(a);
    const list = await app.auth.devices(s);
    expect(list.map((d) => d.device).sort()).toEqual([
      "Chrome on Windows",
      "Firefox on Linux",
      "Safari on iPhone",
    ]);
    expect(list.filter((d) => d.current)).toHaveLength(1);
    const safari = list.find((d) => d.device === "Safari on iPhone")!;
    expect(JSON.stringify(list)).not.toContain(b.split("=")[1]); // handles, never tokens

    const bobSession = await app.open(bob);
    expect(await app.auth.revokeSession(bobSession, safari.id)).toBe(false); // IDOR → 404
    expect(await alive(b)).toBe(true);

    expect(await app.auth.revokeSession(s, safari.id)).toBe(true);
    expect(await alive(b)).toBe(false);
    expect(await alive(c)).toBe(true);
    expect(await app.auth.revokeSession(s, ["x"])).toBe(false);
  });

  it("changePassword: wrong current refused; right one stores the hash, ends the others, rotates this one", async () => {
    const { app, a, b, c, bob, alive } = await threeDevices();
    const s = await app.open(a);
    expect(await app.auth.changePassword(s, { current: "nope", next: "new password 1" })).toEqual({
      ok: false,
      reason: "invalid",
    });
    expect(
      await app.auth.changePassword(s, { current: "correct horse", next: "short" }),
    ).toMatchObject({ ok: false, reason: "policy" });
    expect(await alive(b)).toBe(true);

    const r = await app.auth.changePassword(s, {
      current: "correct horse",
      next: "new password 1",
    });
    expect(r.ok).toBe(true);
    const { cookie: a2 } = await app.finish(s, a);
    expect(a2).not.toBe(a);
    expect(await alive(a2!)).toBe(true);
    for (const k of [a, b, c]) expect(await alive(k)).toBe(false);
    expect(await alive(bob)).toBe(true);

    const fresh = await app.open();
    expect((await app.auth.login(fresh, { username: "alice", password: "correct horse" })).ok).toBe(
      false,
    );
    expect(
      (await app.auth.login(fresh, { username: "alice", password: "new password 1" })).ok,
    ).toBe(true);
  });
});

describe("sessions per user", () => {
  it("a login past maxSessionsPerUser ends the least recently active sessions", async () => {
    const app = memoryApp({ maxSessionsPerUser: 3 });
    await app.users.add("alice", "correct horse");
    const cookies: string[] = [];
    for (let i = 0; i < 5; i++) {
      cookies.push((await signIn(app, "alice", "correct horse")).cookie);
      app.clock.advance(60_000);
    }
    const alive = await Promise.all(cookies.map(async (c) => (await app.open(c)).userId !== null));
    expect(alive).toEqual([false, false, true, true, true]);
    expect(await app.auth.devices(await app.open(cookies[4]))).toHaveLength(3);
  });
});
