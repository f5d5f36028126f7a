/**
 * Passkeys (WebAuthn) for `cloakroom-sessions/auth`: register, sign in, and
 * step up to sudo mode, tied to the session. Verification is
 * `@simplewebauthn/server` (optional peer, imported on first use); this
 * module adds what a session library owes the ceremony:
 *
 * - challenges bound to the session that asked and consumed atomically in
 *   the store (challenge.ts), so a replay or a race gets exactly one use;
 * - sign-in through the same path as a password login (sign-in.ts): new
 *   token, fresh CSRF secret, `amr` = `passkey` (+ `uv`);
 * - step-up that raises the session's authentication time WITHOUT a new
 *   token, so the other tabs of this session keep working;
 * - counter regression refused as a possible clone (WebAuthn §6.1.1), and
 *   audited.
 */
import type * as SimpleWebAuthn from "@simplewebauthn/server";
import type * as SimpleWebAuthnHelpers from "@simplewebauthn/server/helpers";
import { parseDuration } from "../../core/duration.js";
import { ConfigurationError } from "../../core/errors.js";
import type { Session } from "../../core/session.js";
import { importDriver } from "../../util/driver.js";
import { type AuthMethod, recordProof } from "../amr.js";
import { type AuthContext, contextOf } from "../context.js";
import { establishSession } from "../sign-in.js";
import type { Auth, User } from "../types.js";
import { issueChallenge, type PendingChallenge, takeChallenge } from "./challenge.js";
import {
  asAssertion,
  asAttestation,
  checkAuthData,
  checkClientData,
  resolveOrigins,
  sha256,
} from "./checks.js";
import { failure, isFailure } from "./failures.js";
import type {
  CeremonyInput,
  CeremonyOptionsJSON,
  PasskeyCredential,
  PasskeyFailure,
  PasskeyInfo,
  PasskeyOptions,
  Passkeys,
} from "./types.js";

type Lib = typeof SimpleWebAuthn;
type Helpers = typeof SimpleWebAuthnHelpers;

const MAX_NAME = 64;

/**
 * Passkeys on top of an `Auth` from `createAuth`.
 * @example
 * const passkeys = await createPasskeys(auth, {
 *   credentials, rpID: "example.com", rpName: "Example", origins: ["https://example.com"],
 * });
 * app.post("/passkeys/sign-in", async (req, res) => {
 *   const r = await passkeys.signIn(req.session, { response: req.body, ip: req.ip });
 *   res.status(r.ok ? 200 : r.status).json(r.ok ? { ok: true } : { error: r.message });
 * });
 */
export async function createPasskeys<U extends User>(
  auth: Auth<U>,
  options: PasskeyOptions,
): Promise<Passkeys<U>> {
  const ctx = contextOf<U>(auth);
  if (!ctx) throw new ConfigurationError("createPasskeys: pass an Auth made by createAuth");
  if (!ctx.sessions.store.consumeField) {
    throw new ConfigurationError(
      `createPasskeys: the ${ctx.sessions.store.kind} session store has no consumeField (single-use challenges need it)`,
    );
  }
  const origins = resolveOrigins(options.rpID, options.origins);
  const purpose = "Passkeys (cloakroom-sessions/auth)";
  const lib = await importDriver<Lib>("@simplewebauthn/server", purpose);
  const helpers = await importDriver<Helpers>("@simplewebauthn/server/helpers", purpose);
  return buildPasskeys(auth, ctx, options, origins, lib, helpers);
}

function buildPasskeys<U extends User>(
  auth: Auth<U>,
  ctx: AuthContext<U>,
  options: PasskeyOptions,
  origins: ReadonlySet<string>,
  lib: Lib,
  helpers: Helpers,
): Passkeys<U> {
  const { credentials, rpID } = options;
  const rpIdHash = sha256(rpID);
  const requireUv = (options.userVerification ?? "required") === "required";
  const timeout = parseDuration(options.challengeTimeout ?? "5m", "challengeTimeout");
  const addNeedsSudo = options.addRequiresRecentAuth ?? true;
  const hasPassword = options.hasPassword ?? (async () => true);
  const userVerification = requireUv ? "required" : "preferred";
  const expectedOrigins = [...origins];

  const info = (c: PasskeyCredential): PasskeyInfo => ({
    id: c.id,
    name: c.name,
    createdAt: c.createdAt,
    lastUsedAt: c.lastUsedAt,
    synced: c.deviceType === "multiDevice" && c.backedUp,
    transports: c.transports,
  });

  /**
   * The shared part of sign-in and step-up: the challenge, the checks that
   * name a reason, the credential, the library's verification, the new
   * counter. Nothing is written to the session here but the spent challenge.
   */
  const verifyAssertion = async (
    session: Session,
    purpose: "sign-in" | "step-up",
    input: CeremonyInput,
  ): Promise<{ credential: PasskeyCredential; userVerified: boolean } | PasskeyFailure> => {
    const response = asAssertion(input.response);
    if (!response) return failure("malformed");
    const pending = await takeChallenge(ctx.sessions, session, purpose, ctx.now());
    if (isFailure(pending)) return pending;
    const client = checkClientData(response.response.clientDataJSON, {
      type: "webauthn.get",
      challenge: pending.c,
      origins,
      requestOrigin: input.requestOrigin,
    });
    if (client) return client;
    const head = checkAuthData(
      Buffer.from(response.response.authenticatorData, "base64url"),
      rpIdHash,
      requireUv,
    );
    if (isFailure(head)) return head;
    const credential = await credentials.find(response.id);
    if (!credential) return failure("unknown-credential");
    if (purpose === "step-up" && credential.userId !== session.userId) {
      return failure("wrong-user");
    }
    // §7.2 step 6: a user handle, when sent, must name the credential's owner.
    const handle = response.response.userHandle;
    if (handle !== undefined && handle !== userHandleOf(credential.userId)) {
      return failure("wrong-user");
    }
    // §7.2 step 21 / §6.1.1: a counter that did not grow signals a cloned
    // authenticator; this relying party refuses the assertion.
    if ((head.counter > 0 || credential.counter > 0) && head.counter <= credential.counter) {
      ctx.audit.emit(session, {
        type: "passkey.clone_suspected",
        userId: credential.userId,
        credential: credential.id,
        ...(input.ip != null ? { ip: input.ip } : {}),
      });
      return failure("counter");
    }
    let verified: Awaited<ReturnType<Lib["verifyAuthenticationResponse"]>>;
    try {
      verified = await lib.verifyAuthenticationResponse({
        response: response as Parameters<Lib["verifyAuthenticationResponse"]>[0]["response"],
        expectedChallenge: pending.c,
        expectedOrigin: expectedOrigins,
        expectedRPID: rpID,
        expectedType: "webauthn.get",
        credential: {
          id: credential.id,
          publicKey: new Uint8Array(credential.publicKey),
          counter: credential.counter,
          transports: credential.transports,
        },
        requireUserVerification: requireUv,
      });
    } catch {
      return failure("bad-signature");
    }
    if (!verified.verified) return failure("bad-signature");
    const a = verified.authenticationInfo;
    await credentials.recordUse(credential.id, {
      counter: a.newCounter,
      backedUp: a.credentialBackedUp,
      deviceType: a.credentialDeviceType,
      lastUsedAt: ctx.now(),
    });
    return { credential, userVerified: a.userVerified };
  };

  const methodsOf = (userVerified: boolean): AuthMethod[] =>
    userVerified ? ["passkey", "uv"] : ["passkey"];

  const allowList = async (userId: string) =>
    (await credentials.list(userId)).map((c) => ({
      id: c.id,
      transports: c.transports as never,
    }));

  return {
    async registrationOptions(session, input = {}) {
      let user: { id: string; username: string };
      if (input.newAccount) {
        if (session.userId !== null) return failure("unauthenticated");
        const { id, username } = input.newAccount;
        if (typeof id !== "string" || id.length === 0 || typeof username !== "string")
          return failure("malformed");
        user = { id, username };
      } else {
        const g = addNeedsSudo
          ? await auth.requireRecentAuth(session)
          : await auth.requireUser(session);
        if (!g.ok) return failure(g.reason === "reauth" ? "reauth" : "unauthenticated");
        user = g.user;
      }
      const existing = input.newAccount ? [] : await allowList(user.id);
      const challenge = issueChallenge(session, "register", ctx.now(), timeout, {
        userId: input.newAccount ? null : user.id,
        ...(input.newAccount ? { newAccount: input.newAccount } : {}),
      });
      const opts = await lib.generateRegistrationOptions({
        rpName: options.rpName,
        rpID,
        userName: user.username,
        userID: new TextEncoder().encode(user.id),
        // Bytes: a string would be taken as UTF-8 text and encoded once more.
        challenge: Buffer.from(challenge, "base64url"),
        timeout,
        attestationType: "none",
        excludeCredentials: existing,
        authenticatorSelection: { residentKey: "required", userVerification },
      });
      return { ok: true, options: opts as unknown as CeremonyOptionsJSON };
    },

    async verifyRegistration(session, input) {
      const response = asAttestation(input.response);
      if (!response) return failure("malformed");
      const pending = await takeChallenge(ctx.sessions, session, "register", ctx.now());
      if (isFailure(pending)) return pending;
      const client = checkClientData(response.response.clientDataJSON, {
        type: "webauthn.create",
        challenge: pending.c,
        origins,
        requestOrigin: input.requestOrigin,
      });
      if (client) return client;
      let authData: Uint8Array;
      try {
        authData = helpers
          .decodeAttestationObject(Buffer.from(response.response.attestationObject, "base64url"))
          .get("authData");
      } catch {
        return failure("malformed");
      }
      const head = checkAuthData(authData, rpIdHash, requireUv);
      if (isFailure(head)) return head;
      let verified: Awaited<ReturnType<Lib["verifyRegistrationResponse"]>>;
      try {
        verified = await lib.verifyRegistrationResponse({
          response: response as Parameters<Lib["verifyRegistrationResponse"]>[0]["response"],
          expectedChallenge: pending.c,
          expectedOrigin: expectedOrigins,
          expectedRPID: rpID,
          expectedType: "webauthn.create",
          requireUserVerification: requireUv,
        });
      } catch {
        return failure("bad-signature");
      }
      if (!verified.verified) return failure("bad-signature");
      return finishRegistration(session, input, pending, verified.registrationInfo, response);
    },

    async signInOptions(session) {
      const challenge = issueChallenge(session, "sign-in", ctx.now(), timeout);
      const opts = await lib.generateAuthenticationOptions({
        rpID,
        // Bytes: a string would be taken as UTF-8 text and encoded once more.
        challenge: Buffer.from(challenge, "base64url"),
        timeout,
        userVerification,
        allowCredentials: [],
      });
      return opts as unknown as CeremonyOptionsJSON;
    },

    async signIn(session, input) {
      const r = await verifyAssertion(session, "sign-in", input);
      const ip = input.ip ?? null;
      if (isFailure(r)) {
        ctx.audit.emit(session, { type: "login.failed", reason: r.reason, method: "passkey", ip });
        return r;
      }
      const user = await ctx.users.findById(r.credential.userId);
      if (!user) {
        // The account is gone; its passkeys with it.
        ctx.audit.emit(session, {
          type: "login.failed",
          reason: "unknown-credential",
          method: "passkey",
          ip,
        });
        return failure("unknown-credential");
      }
      const established = await establishSession(ctx, session, user, {
        remember: input.remember === true,
        methods: methodsOf(r.userVerified),
        username: user.username,
        ip,
        // A passkey proves no password: the version read now is the one it signs in under.
        credentialVersion: user.credentialVersion,
        // Removed while this sign-in ran: its removal's revoke-all may have run before our commit.
        stillValid: async () => (await credentials.find(r.credential.id)) !== null,
      });
      if (!established) {
        ctx.audit.emit(session, {
          type: "login.failed",
          reason: "unknown-credential",
          method: "passkey",
          ip,
        });
        return failure("unknown-credential");
      }
      return { ok: true, user };
    },

    async stepUpOptions(session) {
      const user = await ctx.users.findById(session.userId ?? "");
      if (session.userId === null || !user) return failure("unauthenticated");
      const allow = await allowList(user.id);
      const challenge = issueChallenge(session, "step-up", ctx.now(), timeout, {
        userId: user.id,
      });
      const opts = await lib.generateAuthenticationOptions({
        rpID,
        // Bytes: a string would be taken as UTF-8 text and encoded once more.
        challenge: Buffer.from(challenge, "base64url"),
        timeout,
        userVerification,
        allowCredentials: allow,
      });
      return { ok: true, options: opts as unknown as CeremonyOptionsJSON };
    },

    async stepUp(session, input) {
      const userId = session.userId;
      if (userId === null) return failure("unauthenticated");
      const user = await ctx.users.findById(userId);
      if (!user) return failure("unauthenticated");
      const r = await verifyAssertion(session, "step-up", input);
      ctx.audit.emit(
        session,
        isFailure(r)
          ? { type: "sudo.failed", reason: r.reason, method: "passkey" }
          : { type: "sudo.confirmed", method: "passkey" },
      );
      if (isFailure(r)) return r;
      // Same token, same data: only the proof is recorded (sudo mode opens).
      recordProof(session, methodsOf(r.userVerified), ctx.now(), false);
      return { ok: true, user };
    },

    async list(session) {
      if (session.userId === null) return [];
      const all = await credentials.list(session.userId);
      return all.sort((a, b) => b.createdAt - a.createdAt).map(info);
    },

    async rename(session, credentialId, name) {
      const userId = session.userId;
      if (userId === null) return failure("unauthenticated");
      const clean = cleanName(name);
      if (typeof credentialId !== "string" || clean === null) return failure("malformed");
      if (!(await credentials.rename(userId, credentialId, clean))) return failure("not-found");
      return { ok: true };
    },

    async remove(session, credentialId) {
      const g = await auth.requireRecentAuth(session);
      if (!g.ok) return failure(g.reason === "reauth" ? "reauth" : "unauthenticated");
      const userId = g.user.id;
      if (typeof credentialId !== "string") return failure("malformed");
      const mine = await credentials.list(userId);
      if (!mine.some((c) => c.id === credentialId)) return failure("not-found");
      if (mine.length <= 1 && !(await hasPassword(userId))) return failure("last-method");
      if (!(await credentials.remove(userId, credentialId))) return failure("not-found");
      ctx.audit.emit(session, { type: "passkey.removed", credential: credentialId });
      // A credential change ends every other session (ASVS 5.0 7.4.3, CONTRACT
      // §2): one signed in with a stolen device's key must not outlive it.
      const count = await ctx.sessions.revokeUserSessions(userId, {
        except: session,
        reason: "credential-change",
      });
      if (count > 0)
        ctx.audit.emit(session, { type: "session.revoked", by: "credential-change", count });
      return { ok: true };
    },
  };

  async function finishRegistration(
    session: Session,
    input: CeremonyInput & {
      name?: string;
      createAccount?: (a: { id: string; username: string }) => Promise<void>;
    },
    pending: PendingChallenge,
    reg: NonNullable<Awaited<ReturnType<Lib["verifyRegistrationResponse"]>>["registrationInfo"]>,
    response: { response: { transports?: string[] } },
  ) {
    const now = ctx.now();
    const userId = pending.n ? pending.n.id : pending.u;
    if (userId === null) return failure("unauthenticated");
    if (await credentials.find(reg.credential.id)) return failure("duplicate");
    if (pending.n) {
      if (!input.createAccount) {
        throw new ConfigurationError("verifyRegistration: a new account needs createAccount");
      }
      await input.createAccount(pending.n);
    }
    const user = await ctx.users.findById(userId);
    if (!user) return failure("unauthenticated");
    const credential: PasskeyCredential = {
      id: reg.credential.id,
      userId,
      publicKey: new Uint8Array(reg.credential.publicKey),
      counter: reg.credential.counter,
      transports: reg.credential.transports ?? response.response.transports ?? [],
      deviceType: reg.credentialDeviceType,
      backedUp: reg.credentialBackedUp,
      name: cleanName(input.name) ?? defaultName(reg.credentialDeviceType, now),
      createdAt: now,
      lastUsedAt: null,
    };
    if (!(await credentials.add(credential))) return failure("duplicate");
    ctx.audit.emit(session, { type: "passkey.registered", userId, credential: credential.id });
    const methods = methodsOf(reg.userVerified);
    if (pending.n) {
      await establishSession(ctx, session, user, {
        remember: false,
        methods,
        username: user.username,
        ip: input.ip ?? null,
        credentialVersion: user.credentialVersion,
      });
    }
    // Adding a passkey to a signed-in account proves no identity (the key is
    // new): it opens no passkey-only sudo window.
    return {
      ok: true as const,
      passkey: info(credential),
      user,
      signedIn: pending.n !== undefined,
    };
  }
}

/** The WebAuthn user handle of a user: the id's UTF-8 bytes, base64url (what registration sent). */
function userHandleOf(userId: string): string {
  return Buffer.from(userId, "utf8").toString("base64url");
}

function cleanName(name: unknown): string | null {
  if (typeof name !== "string") return null;
  // Control characters out (log and HTML safety); length bounded.
  const clean = name
    .replace(/[\p{Cc}\p{Cf}]/gu, "")
    .trim()
    .slice(0, MAX_NAME);
  return clean.length > 0 ? clean : null;
}

function defaultName(deviceType: string, now: number): string {
  const kind = deviceType === "multiDevice" ? "Synced passkey" : "Device-bound passkey";
  return `${kind} (${new Date(now).toISOString().slice(0, 10)})`;
}
