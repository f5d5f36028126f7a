/**
 * Each way a passkey ceremony must be refused, provoked with a soft
 * authenticator (real P-256 signatures, hand-built authenticator data): the
 * refusal names its reason, and the session is left as it was — same token,
 * same user, same authentication time and methods, same data. Only the
 * challenge is spent (single use).
 */
import { describe, expect, it } from "vitest";
import { authenticationOf } from "../../src/auth/index.js";
import {
  browser,
  ORIGIN,
  type PasskeyApp,
  passkeyApp,
  userWithPasskey,
} from "../support/passkey-fixture.js";
import { SoftAuthenticator } from "../support/soft-authenticator.js";

type Browser = ReturnType<typeof browser>;

async function state(app: PasskeyApp, b: Browser) {
  const s = await app.open(b.cookie);
  return { cookie: b.cookie, userId: s.userId, auth: authenticationOf(s), data: s.toJSON() };
}

function signInOptions(app: PasskeyApp, b: Browser) {
  return b.request((s) => app.passkeys.signInOptions(s)) as Promise<never>;
}

function stepUpOptions(app: PasskeyApp, b: Browser) {
  return b.request(async (s) => {
    const r = await app.passkeys.stepUpOptions(s);
    if (!r.ok) throw new Error(r.reason);
    return r.options as never;
  });
}

/** An anonymous browser holding a bit of data. */
async function visitor(app: PasskeyApp) {
  const b = browser(app);
  await b.request(async (s) => {
    s.set("cart", [1, 2]);
  });
  return b;
}

/** The app's authenticator swapped for `other` (a second person's device). */
function withAuthenticator(app: PasskeyApp, other: SoftAuthenticator): PasskeyApp {
  return { ...app, authenticator: other };
}

describe("passkey sign-in refusals (no session change)", () => {
  const cases: {
    name: string;
    reason: string;
    bend: (app: PasskeyApp, options: { challenge: string }) => unknown;
  }[] = [
    {
      name: "an assertion made on another origin (phishing site)",
      reason: "wrong-origin",
      bend: (app, o) => app.authenticator.get(o, { origin: "https://app.test.evil.test" }),
    },
    {
      name: "an assertion for another relying-party ID",
      reason: "wrong-rp-id",
      bend: (app, o) => app.authenticator.get(o, { rpId: "evil.test" }),
    },
    {
      name: "user verification required but absent",
      reason: "user-verification",
      bend: (app, o) => app.authenticator.get(o, { uv: false }),
    },
    {
      name: "a clientDataJSON of the wrong ceremony type",
      reason: "wrong-type",
      bend: (app, o) => app.authenticator.get(o, { type: "webauthn.create" }),
    },
    {
      name: "a signature that does not verify",
      reason: "bad-signature",
      bend: (app, o) => app.authenticator.get(o, { badSignature: true }),
    },
    {
      name: "a counter that went backwards (possible clone)",
      reason: "counter",
      bend: (app, o) => app.authenticator.get(o, { counter: 0 }),
    },
    {
      name: "a user handle naming someone else",
      reason: "wrong-user",
      bend: (app, o) =>
        app.authenticator.get(o, { userHandle: Buffer.from("u999").toString("base64url") }),
    },
    {
      name: "a body that is not a credential",
      reason: "malformed",
      bend: () => ({ id: "x", response: "nope" }),
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.name}: ${c.reason}`, async () => {
      const app = await passkeyApp();
      await userWithPasskey(app);
      // One good sign-in first, so the stored counter is past 0 and 0 is a regression.
      const warm = browser(app);
      const o0 = await signInOptions(app, warm);
      const ok = await warm.request((s) =>
        app.passkeys.signIn(s, { response: app.authenticator.get(o0) }),
      );
      expect(ok.ok).toBe(true);

      const b = await visitor(app);
      const options = await signInOptions(app, b);
      const before = await state(app, b);
      const r = await b.request((s) => app.passkeys.signIn(s, { response: c.bend(app, options) }));
      expect(r).toMatchObject({ ok: false, reason: c.reason });
      expect((r as { message: string }).message.length).toBeGreaterThan(10);
      const after = await state(app, b);
      expect(after).toEqual(before);
      expect(after.userId).toBeNull();
    });
  }

  it("refuses an unknown credential: unknown-credential", async () => {
    const app = await passkeyApp();
    await userWithPasskey(app);
    const stranger = new SoftAuthenticator(ORIGIN);
    stranger.create({ challenge: "x", rp: { id: "app.test" }, user: { id: "dTk5" } });
    const b = await visitor(app);
    const options = await signInOptions(app, b);
    const before = await state(app, b);
    const r = await b.request((s) => app.passkeys.signIn(s, { response: stranger.get(options) }));
    expect(r).toMatchObject({ ok: false, reason: "unknown-credential", status: 401 });
    expect(await state(app, b)).toEqual(before);
  });

  it("refuses a replayed response: on another session (challenge-mismatch) and after its use (no-challenge)", async () => {
    const app = await passkeyApp();
    await userWithPasskey(app);
    const b = await visitor(app);
    const options = await signInOptions(app, b);
    const response = app.authenticator.get(options);
    // An attacker who captured the response replays it from a browser of their own…
    const attacker = await visitor(app);
    await signInOptions(app, attacker);
    const stolen = await attacker.request((s) => app.passkeys.signIn(s, { response }));
    expect(stolen).toMatchObject({ ok: false, reason: "challenge-mismatch" });
    // …and the victim's own session accepts it exactly once.
    const first = await b.request((s) => app.passkeys.signIn(s, { response }));
    expect(first.ok).toBe(true);
    const signedIn = await state(app, b);
    const again = await b.request((s) => app.passkeys.signIn(s, { response }));
    expect(again).toMatchObject({ ok: false, reason: "no-challenge" });
    expect(await state(app, b)).toEqual(signedIn);
  });

  it("refuses a challenge issued to another session: challenge-mismatch / no-challenge", async () => {
    const app = await passkeyApp();
    await userWithPasskey(app);
    const victim = await visitor(app);
    const victimOptions = await signInOptions(app, victim);
    const other = await visitor(app);
    await signInOptions(app, other);
    const before = await state(app, other);
    const r = await other.request((s) =>
      app.passkeys.signIn(s, { response: app.authenticator.get(victimOptions) }),
    );
    expect(r).toMatchObject({ ok: false, reason: "challenge-mismatch" });
    expect(await state(app, other)).toEqual(before);
    // A session that never asked has no challenge to answer at all.
    const bare = await visitor(app);
    const r2 = await bare.request((s) =>
      app.passkeys.signIn(s, { response: app.authenticator.get(victimOptions) }),
    );
    expect(r2).toMatchObject({ ok: false, reason: "no-challenge" });
    // The victim's own challenge was not touched by either.
    const mine = await victim.request((s) =>
      app.passkeys.signIn(s, { response: app.authenticator.get(victimOptions) }),
    );
    expect(mine.ok).toBe(true);
  });

  it("refuses an expired challenge: challenge-expired", async () => {
    const app = await passkeyApp({ challengeTimeout: "2m" });
    await userWithPasskey(app);
    const b = await visitor(app);
    const options = await signInOptions(app, b);
    app.clock.advance(2 * 60_000 + 1);
    const before = await state(app, b);
    const r = await b.request((s) =>
      app.passkeys.signIn(s, { response: app.authenticator.get(options) }),
    );
    expect(r).toMatchObject({ ok: false, reason: "challenge-expired" });
    expect(await state(app, b)).toEqual(before);
  });

  it("audits a counter that did not grow as a possible cloned authenticator", async () => {
    const app = await passkeyApp();
    const { credentialId, userId } = await userWithPasskey(app);
    const b = browser(app);
    const o1 = await signInOptions(app, b);
    const first = await b.request((s) =>
      app.passkeys.signIn(s, { response: app.authenticator.get(o1, { counter: 7 }) }),
    );
    expect(first.ok).toBe(true);
    const c = browser(app);
    const o2 = await signInOptions(app, c);
    const r = await c.request((s) =>
      app.passkeys.signIn(s, { response: app.authenticator.get(o2, { counter: 7 }) }),
    );
    expect(r).toMatchObject({ ok: false, reason: "counter" });
    expect(app.events).toContainEqual(
      expect.objectContaining({
        type: "passkey.clone_suspected",
        userId,
        credential: credentialId,
      }),
    );
    expect((await app.credentials.find(credentialId))?.counter).toBe(7);
  });

  it("accepts a passkey that keeps no counter (0 then 0, as synced passkeys do)", async () => {
    const base = await passkeyApp();
    const zero = new SoftAuthenticator(ORIGIN, { counterStep: 0 });
    const app = withAuthenticator(base, zero);
    await userWithPasskey(app);
    for (let n = 0; n < 2; n++) {
      const b = browser(app);
      const o = await signInOptions(app, b);
      const r = await b.request((s) => app.passkeys.signIn(s, { response: zero.get(o) }));
      expect(r.ok).toBe(true);
    }
  });
});

describe("passkey step-up refusals (no session change)", () => {
  it("refuses another user's passkey: wrong-user, and sudo mode stays shut", async () => {
    const app = await passkeyApp();
    const ada = await userWithPasskey(app, "ada");
    const bobDevice = new SoftAuthenticator(ORIGIN);
    await userWithPasskey(withAuthenticator(app, bobDevice), "bob");
    app.clock.advance(11 * 60_000); // ada's sudo window (10 min) closes
    expect((await ada.browser.request((s) => app.auth.requireRecentAuth(s))).ok).toBe(false);
    const options = await stepUpOptions(app, ada.browser);
    const before = await state(app, ada.browser);
    const r = await ada.browser.request((s) =>
      app.passkeys.stepUp(s, { response: bobDevice.get(options) }),
    );
    expect(r).toMatchObject({ ok: false, reason: "wrong-user", status: 403 });
    expect(await state(app, ada.browser)).toEqual(before);
    expect((await ada.browser.request((s) => app.auth.requireRecentAuth(s))).ok).toBe(false);
  });

  it("refuses a sign-in challenge answered at step-up (the ceremony is part of the challenge)", async () => {
    const app = await passkeyApp();
    const ada = await userWithPasskey(app);
    const options = await signInOptions(app, ada.browser);
    const r = await ada.browser.request((s) =>
      app.passkeys.stepUp(s, { response: app.authenticator.get(options) }),
    );
    expect(r).toMatchObject({ ok: false, reason: "no-challenge" });
  });

  it("refuses an origin other than the one this request reached (behind a proxy)", async () => {
    const app = await passkeyApp({ origins: [ORIGIN, "https://admin.app.test"] });
    const ada = await userWithPasskey(app);
    const options = await stepUpOptions(app, ada.browser);
    const r = await ada.browser.request((s) =>
      app.passkeys.stepUp(s, {
        response: app.authenticator.get(options),
        requestOrigin: "https://admin.app.test",
      }),
    );
    expect(r).toMatchObject({ ok: false, reason: "wrong-origin" });
  });

  it("refuses step-up and registration options to an anonymous session", async () => {
    const app = await passkeyApp();
    const b = browser(app);
    expect(await b.request((s) => app.passkeys.stepUpOptions(s))).toMatchObject({
      ok: false,
      reason: "unauthenticated",
    });
    expect(await b.request((s) => app.passkeys.registrationOptions(s))).toMatchObject({
      ok: false,
      reason: "unauthenticated",
    });
  });
});

describe("passkey configuration", () => {
  it("refuses an RP ID that is not the origins' domain, http off loopback, and non-origins", async () => {
    await expect(passkeyApp({ rpID: "other.test" })).rejects.toThrow(/rpID "other.test"/);
    await expect(passkeyApp({ rpID: "app.test", origins: ["http://app.test"] })).rejects.toThrow(
      /https/,
    );
    await expect(passkeyApp({ origins: ["https://app.test/login"] })).rejects.toThrow(
      /not an origin/,
    );
    await expect(passkeyApp({ origins: [] })).rejects.toThrow(/empty/);
    await expect(
      passkeyApp({ rpID: "localhost", origins: ["http://localhost:3000"] }),
    ).resolves.toBeTruthy();
  });
});
