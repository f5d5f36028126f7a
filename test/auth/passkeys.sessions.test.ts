/**
 * What passkeys do to the session: sign-in rotates the token exactly as a
 * password login does and records `amr`; step-up raises the authentication
 * time and nothing else (same token, same data, other devices untouched);
 * sudo mode opens only after a verified assertion; `method: "passkey"`
 * demands a passkey proof specifically.
 */
import { describe, expect, it } from "vitest";
import { authenticationOf } from "../../src/auth/index.js";
import { setInterleaveHook } from "../../src/core/interleave.js";
import {
  browser,
  type PasskeyApp,
  passkeyApp,
  userWithPasskey,
} from "../support/passkey-fixture.js";

function signInOptions(app: PasskeyApp, b: ReturnType<typeof browser>) {
  return b.request((s) => app.passkeys.signInOptions(s)) as Promise<never>;
}

describe("passkey sign-in", () => {
  it("rotates the token like a password login: old token dead, data dropped, amr passkey+uv", async () => {
    const app = await passkeyApp();
    const { userId } = await userWithPasskey(app);
    const b = browser(app);
    await b.request(async (s) => {
      s.set("cart", [1]);
    });
    const options = await signInOptions(app, b);
    const before = b.cookie;
    app.clock.advance(1000);
    const r = await b.request((s) =>
      app.passkeys.signIn(s, { response: app.authenticator.get(options) }),
    );
    expect(r.ok).toBe(true);
    expect(b.cookie).not.toBeNull();
    expect(b.cookie).not.toBe(before);
    const old = await app.open(before);
    expect(old.userId).toBeNull(); // the pre-login token is dead (fixation)
    const s = await app.open(b.cookie);
    expect(s.userId).toBe(userId);
    expect(s.toJSON()).toEqual({}); // keepOnLogin is empty: data dropped as at password login
    expect(authenticationOf(s)).toEqual({
      at: app.clock.t,
      signIn: ["passkey", "uv"],
      last: { passkey: app.clock.t, uv: app.clock.t },
    });
    expect(app.events).toContainEqual(
      expect.objectContaining({ type: "login.succeeded", method: "passkey", userId }),
    );
    // The credential's last use and counter were recorded.
    const [c] = await app.credentials.list(userId);
    expect(c?.lastUsedAt).toBe(app.clock.t);
    expect(c?.counter).toBe(1);
  });

  it("a password login records amr pwd, and then a passkey-only guard asks for a passkey", async () => {
    const app = await passkeyApp();
    const { browser: b } = await userWithPasskey(app);
    // userWithPasskey signed in with the password; registration counts as a passkey proof.
    let s = await app.open(b.cookie);
    expect(authenticationOf(s).signIn).toEqual(["pwd"]);
    app.clock.advance(11 * 60_000);
    const fresh = browser(app);
    await fresh.request(async (x) => {
      const r = await app.auth.login(x, { username: "ada", password: "correct horse battery" });
      expect(r.ok).toBe(true);
    });
    s = await app.open(fresh.cookie);
    expect(authenticationOf(s).signIn).toEqual(["pwd"]);
    expect(await app.auth.requireRecentAuth(s)).toMatchObject({ ok: true });
    expect(await app.auth.requireRecentAuth(s, { method: "passkey" })).toMatchObject({
      ok: false,
      status: 401,
      reason: "reauth",
      need: "passkey",
    });
  });
});

describe("passkey step-up (sudo mode without a new session)", () => {
  it("raises the auth time; token, data and the user's other sessions untouched", async () => {
    const app = await passkeyApp();
    const { browser: b, userId } = await userWithPasskey(app);
    await b.request(async (s) => {
      s.set("draft", "hello");
    });
    // A second device of the same user.
    const other = browser(app);
    await other.request(async (s) => {
      const r = await app.auth.login(s, { username: "ada", password: "correct horse battery" });
      expect(r.ok).toBe(true);
    });
    app.clock.advance(11 * 60_000);
    const g0 = await b.request((s) => app.auth.requireRecentAuth(s));
    expect(g0).toMatchObject({ ok: false, reason: "reauth" });

    const token = b.cookie;
    const options = await b.request(async (s) => {
      const r = await app.passkeys.stepUpOptions(s);
      if (!r.ok) throw new Error(r.reason);
      return r.options as never;
    });
    // Asking is not proving: the window is still shut.
    expect(await b.request((s) => app.auth.requireRecentAuth(s))).toMatchObject({ ok: false });
    const r = await b.request((s) =>
      app.passkeys.stepUp(s, { response: app.authenticator.get(options) }),
    );
    expect(r.ok).toBe(true);
    expect(b.cookie).toBe(token); // no new token at step-up
    const s = await app.open(b.cookie);
    expect(s.userId).toBe(userId);
    expect(s.get("draft")).toBe("hello");
    expect(authenticationOf(s).signIn).toEqual(["pwd"]); // the sign-in stays what it was
    expect(authenticationOf(s).last.passkey).toBe(app.clock.t);
    expect(await app.auth.requireRecentAuth(s)).toMatchObject({ ok: true });
    expect(
      await app.auth.requireRecentAuth(s, { method: "passkey", userVerification: true }),
    ).toMatchObject({ ok: true });
    const devices = await app.sessions.listUserSessions(userId);
    expect(devices).toHaveLength(2);
    expect((await app.open(other.cookie)).userId).toBe(userId);
    // The window closes again after sudoMaxAge.
    app.clock.advance(10 * 60_000 + 1);
    expect(await app.auth.requireRecentAuth(await app.open(b.cookie))).toMatchObject({
      ok: false,
    });
  });

  it("a step-up without user verification does not satisfy userVerification: true", async () => {
    const app = await passkeyApp({ userVerification: "preferred" });
    const { browser: b } = await userWithPasskey(app);
    const options = await b.request(async (s) => {
      const r = await app.passkeys.stepUpOptions(s);
      if (!r.ok) throw new Error(r.reason);
      return r.options as never;
    });
    app.clock.advance(1000);
    const r = await b.request((s) =>
      app.passkeys.stepUp(s, { response: app.authenticator.get(options, { uv: false }) }),
    );
    expect(r.ok).toBe(true);
    const s = await app.open(b.cookie);
    expect(await app.auth.requireRecentAuth(s, { method: "passkey" })).toMatchObject({ ok: true });
    expect(
      await app.auth.requireRecentAuth(s, { method: "passkey", userVerification: true }),
    ).toMatchObject({ ok: false, need: "passkey" });
  });
});

describe("passkey-only accounts", () => {
  it("creates the account with its passkey and signs it in under a new token", async () => {
    const app = await passkeyApp();
    const b = browser(app);
    await b.request(async (s) => {
      s.set("cart", [3]);
    });
    const account = { id: "u-new", username: "grace" };
    const options = await b.request(async (s) => {
      const r = await app.passkeys.registrationOptions(s, { newAccount: account });
      if (!r.ok) throw new Error(r.reason);
      return r.options as never;
    });
    const anonymous = b.cookie;
    const response = app.authenticator.create(options);
    const r = await b.request((s) =>
      app.passkeys.verifyRegistration(s, {
        response,
        name: "Phone",
        createAccount: async (a) => {
          app.users.rows.set(a.id, { ...a, roles: [], passwordHash: "", credentialVersion: 1 });
          app.passwordless.add(a.id);
        },
      }),
    );
    expect(r).toMatchObject({ ok: true, signedIn: true, passkey: { name: "Phone" } });
    expect(b.cookie).not.toBe(anonymous);
    const s = await app.open(b.cookie);
    expect(s.userId).toBe("u-new");
    expect(authenticationOf(s).signIn).toEqual(["passkey", "uv"]);
    // Its only passkey is its only way in: it cannot be removed.
    const removed = await b.request((x) => app.passkeys.remove(x, response.id));
    expect(removed).toMatchObject({ ok: false, reason: "last-method", status: 409 });
    expect(await app.credentials.list("u-new")).toHaveLength(1);
  });
});

describe("passkey management", () => {
  it("lists, renames and removes; removing needs sudo mode; both are audited", async () => {
    const app = await passkeyApp();
    const { browser: b, userId, credentialId } = await userWithPasskey(app);
    const list = await b.request((s) => app.passkeys.list(s));
    expect(list).toEqual([
      expect.objectContaining({
        id: credentialId,
        synced: false,
        lastUsedAt: null,
        transports: ["internal"],
      }),
    ]);
    expect(list[0]?.name).toMatch(/^Device-bound passkey/);
    expect(await b.request((s) => app.passkeys.rename(s, credentialId, " Laptop\u0000 "))).toEqual({
      ok: true,
    });
    expect((await app.credentials.find(credentialId))?.name).toBe("Laptop");
    expect(await b.request((s) => app.passkeys.rename(s, "nope", "x"))).toMatchObject({
      reason: "not-found",
    });
    app.clock.advance(11 * 60_000);
    expect(await b.request((s) => app.passkeys.remove(s, credentialId))).toMatchObject({
      ok: false,
      reason: "reauth",
    });
    await b.request(async (s) => {
      expect((await app.auth.reauthenticate(s, "correct horse battery")).ok).toBe(true);
    });
    expect(await b.request((s) => app.passkeys.remove(s, credentialId))).toEqual({ ok: true });
    expect(await app.credentials.list(userId)).toEqual([]);
    expect(app.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["passkey.registered", "passkey.removed"]),
    );
  });

  it("adding a passkey to an account needs sudo mode", async () => {
    const app = await passkeyApp();
    const { browser: b } = await userWithPasskey(app);
    app.clock.advance(11 * 60_000);
    expect(await b.request((s) => app.passkeys.registrationOptions(s))).toMatchObject({
      ok: false,
      reason: "reauth",
    });
  });

  it("refuses to register the same passkey twice", async () => {
    const app = await passkeyApp();
    const { browser: b } = await userWithPasskey(app);
    const options = await b.request(async (s) => {
      const r = await app.passkeys.registrationOptions(s);
      if (!r.ok) throw new Error(r.reason);
      return r.options as unknown as { excludeCredentials: unknown[] };
    });
    expect(options.excludeCredentials).toHaveLength(1); // the browser is told, too
  });
});

describe("removing a passkey is a credential change (CONTRACT §2, ASVS 5.0 7.4.3)", () => {
  it("ends every other session of the user; the remover's goes on", async () => {
    const app = await passkeyApp();
    const { browser: owner, userId, credentialId } = await userWithPasskey(app);
    const other = browser(app);
    await other.request(async (s) => {
      expect(
        (await app.auth.login(s, { username: "ada", password: "correct horse battery" })).ok,
      ).toBe(true);
    });
    expect(await owner.request((s) => app.passkeys.remove(s, credentialId))).toEqual({ ok: true });
    expect(await other.request((s) => app.auth.currentUser(s))).toBeNull();
    expect(await owner.request((s) => app.auth.currentUser(s))).toMatchObject({ id: userId });
    expect(app.events).toContainEqual(
      expect.objectContaining({ type: "session.revoked", by: "credential-change", count: 1 }),
    );
  });

  it("a passkey sign-in held before its commit while that passkey is removed is not signed in", async () => {
    const app = await passkeyApp();
    const { browser: owner, credentialId } = await userWithPasskey(app);
    const thief = browser(app);
    const options = (await thief.request((s) => app.passkeys.signInOptions(s))) as never;
    const response = app.authenticator.get(options);
    let reached!: () => void;
    let release!: () => void;
    const arrived = new Promise<void>((r) => {
      reached = r;
    });
    const released = new Promise<void>((r) => {
      release = r;
    });
    setInterleaveHook(async (p) => {
      if (p !== "auth.sign-in.commit") return;
      setInterleaveHook(undefined);
      reached();
      await released;
    });
    try {
      const signIn = thief.request((s) => app.passkeys.signIn(s, { response }));
      await arrived; // the assertion is verified; no session is stored yet
      expect(await owner.request((s) => app.passkeys.remove(s, credentialId))).toEqual({
        ok: true,
      });
      release();
      await signIn;
    } finally {
      setInterleaveHook(undefined);
    }
    expect(await thief.request((s) => app.auth.currentUser(s))).toBeNull();
    expect(await owner.request((s) => app.auth.currentUser(s))).not.toBeNull();
  });
});
