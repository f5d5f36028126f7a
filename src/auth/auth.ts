/**
 * `createAuth`: password login, logout in all its forms, re-authentication
 * and password change on top of the core {@link SessionManager}, plus the
 * guards of `guards.ts` and the device list. Framework-agnostic: every call
 * takes the request's {@link Session} and resolves to a result object; the
 * adapter's usual commit writes the session and sets the cookie.
 */
import { parseDuration } from "../core/duration.js";
import { ConfigurationError } from "../core/errors.js";
import { interleave } from "../core/interleave.js";
import type { Session } from "../core/session.js";
import { recordProof } from "./amr.js";
import { AuditTrail } from "./audit.js";
import {
  type AuthContext,
  META,
  registerContext,
  rotateSignedIn,
  versionString,
} from "./context.js";
import { checkCsrf } from "./csrf.js";
import { describeDevice } from "./devices.js";
import { createGuards } from "./guards.js";
import { createPasswordHasher } from "./password.js";
import { establishSession } from "./sign-in.js";
import { createLoginThrottle } from "./throttle.js";
import type {
  Auth,
  AuthOptions,
  CredentialFailure,
  RecheckResult,
  User,
  UserCredentials,
} from "./types.js";

const INVALID: CredentialFailure = Object.freeze({ ok: false, reason: "invalid" });
const UNAUTHENTICATED = Object.freeze({ ok: false, reason: "unauthenticated" } as const);
const MAX_USERNAME = 256;

/**
 * @example
 * const auth = createAuth({ sessions, users, permissions: { admin: ["admin:read"] } });
 */
export function createAuth<U extends User = User>(options: AuthOptions<U>): Auth<U> {
  const { sessions, users } = options;
  if (!sessions || !users) throw new ConfigurationError("createAuth: pass sessions and users");
  const hasher =
    options.password && "verifyDummy" in options.password
      ? options.password
      : createPasswordHasher(options.password);
  const now = () => sessions.options.now();
  const permissions = new Map<string, readonly string[]>();
  for (const [role, perms] of Object.entries(options.permissions ?? {}))
    permissions.set(role, perms);
  const ctx: AuthContext<U> = {
    sessions,
    users,
    hasher,
    throttle:
      options.throttle === false
        ? null
        : (options.throttle ??
          createLoginThrottle({
            store: sessions.store,
            logger: sessions.options.logger,
            now,
            ...(options.canonicalUsername ? { canonicalUsername: options.canonicalUsername } : {}),
          })),
    permissions,
    rememberTimeout: parseDuration(options.remember?.absoluteTimeout ?? "30d", "remember"),
    sudoMaxAge: parseDuration(options.sudoMaxAge ?? "10m", "sudoMaxAge"),
    keepOnLogin: options.keepOnLogin ?? [],
    maxSessionsPerUser: options.maxSessionsPerUser ?? 20,
    now,
    audit: new AuditTrail(options.onEvent, now, (err) =>
      sessions.options.logger.error("cloakroom/auth: an audit sink threw", { err }),
    ),
  };
  if (ctx.audit.enabled) {
    // Refused cookies are decided in the core, before any auth call: relay them.
    sessions.on("refused", (e) =>
      ctx.audit.emit(null, {
        type: "cookie.refused",
        reason: e.reason,
        userId: e.userId,
        session: e.id,
        ip: e.ip,
        userAgent: e.userAgent,
      }),
    );
  }
  const cap = ctx.maxSessionsPerUser;
  if (!(cap === Number.POSITIVE_INFINITY || (Number.isInteger(cap) && cap >= 1))) {
    throw new ConfigurationError(
      `maxSessionsPerUser: ${cap} must be a whole number ≥ 1 or Infinity`,
    );
  }
  const guards = createGuards(ctx);

  /**
   * Verifies `password` for `username` with throttling; the shared core of
   * login and re-checks. `known` receives the account's id when the name
   * exists, for the audit trail only (the result never tells the caller).
   * On success `proved` is the credentials record the password was checked
   * against (its hash as now stored, after a rehash), read before the check.
   */
  const checkPassword = async (
    username: string,
    password: unknown,
    ip: string | null,
    known?: (id: string) => void,
  ): Promise<{ ok: true; id: string; proved: UserCredentials } | CredentialFailure> => {
    // Reserved before the hash: concurrent guesses each take their own count.
    const reservation = ctx.throttle ? await ctx.throttle.reserve(username, ip) : null;
    if (reservation && !reservation.allowed)
      return { ok: false, reason: "throttled", retryAfterSeconds: reservation.retryAfterSeconds };
    let creds: Awaited<ReturnType<typeof users.findByUsername>>;
    let result: Awaited<ReturnType<typeof hasher.verify>>;
    try {
      creds = await users.findByUsername(username);
      if (creds) known?.(creds.id);
      result = creds
        ? await hasher.verify(creds.passwordHash, password)
        : await hasher.verifyDummy(password);
    } catch (err) {
      await reservation?.settle("failure");
      throw err;
    }
    if (!creds || !result.ok) {
      await reservation?.settle("failure");
      return INVALID;
    }
    await reservation?.settle("success");
    let proved: UserCredentials = creds;
    if (result.needsRehash) {
      try {
        const rehashed = await hasher.hash(password);
        await interleave("auth.login.rehash");
        // Only over the hash just verified: a password changed since (another
        // request, another server) must not be overwritten by the old one.
        // `replacing` lets the directory make that check part of its write.
        const now = await users.findByUsername(username);
        if (now?.id === creds.id && now.passwordHash === creds.passwordHash) {
          await users.setPasswordHash(creds.id, rehashed, "rehash", creds.passwordHash);
          proved = { ...creds, passwordHash: rehashed };
        }
      } catch (err) {
        // The login itself is sound; the upgrade is retried at the next one.
        sessions.options.logger.warn("cloakroom/auth: could not store a rehashed password", {
          err,
        });
      }
    }
    return { ok: true, id: creds.id, proved };
  };

  /**
   * True while `username` still names the account and the credential that
   * `proved` was read as: the same hash, the same version.
   */
  const unchanged = async (username: string, proved: UserCredentials): Promise<boolean> => {
    const now = await users.findByUsername(username);
    return (
      now !== null &&
      now.id === proved.id &&
      now.passwordHash === proved.passwordHash &&
      versionString(now.credentialVersion) === versionString(proved.credentialVersion)
    );
  };

  const signedIn = async (session: Session): Promise<U | null> => guards.currentUser(session);

  const recheck = async (
    session: Session,
    password: unknown,
    failed: "sudo.failed" | "password.change_failed",
  ): Promise<RecheckResult<U> & { user?: U }> => {
    const user = await signedIn(session);
    if (!user) return UNAUTHENTICATED;
    const r = await checkPassword(user.username, password, session._ip);
    if (!r.ok) {
      ctx.audit.emit(session, {
        type: failed,
        reason: r.reason,
        ...(r.reason === "throttled" ? { retryAfterSeconds: r.retryAfterSeconds } : {}),
      });
      return r;
    }
    if (r.id !== user.id) return INVALID; // the username now belongs to someone else
    return { ok: true, user };
  };

  const auth: Auth<U> = {
    ...guards,
    hasher,

    async reserveRegistration(ip) {
      if (!ctx.throttle) return { allowed: true, retryAfterSeconds: 0, settle: async () => {} };
      return ctx.throttle.reserveRegistration(ip);
    },

    async login(session, input) {
      const { username, password } = input;
      const ip = input.ip ?? null;
      if (typeof username !== "string" || username.length === 0 || username.length > MAX_USERNAME) {
        // Not a username at all (an array, an object, 1 MB): refused unhashed, but still audited.
        ctx.audit.emit(session, { type: "login.failed", reason: "invalid", username: "", ip });
        return INVALID;
      }
      let account: string | null = null;
      const r = await checkPassword(username, password, ip, (id) => {
        account = id;
      });
      // Tests pause here: the password is verified, no session is written yet.
      if (r.ok) await interleave("auth.login.verified");
      const found = r.ok ? await users.findById(r.id) : null;
      // The credential changed since it was read for the check (a password
      // change in between): the old password signs nobody in.
      const proved = r.ok ? r.proved : null;
      const version = versionString(proved?.credentialVersion);
      const user =
        found &&
        (version === undefined ||
          found.credentialVersion === undefined ||
          versionString(found.credentialVersion) === version)
          ? found
          : null;
      if (!r.ok || !user || !proved) {
        // The account's id when the name exists: the owner sees attempts on their account.
        ctx.audit.emit(
          session,
          !r.ok && r.reason === "throttled"
            ? {
                type: "login.throttled",
                username,
                userId: account,
                ip,
                retryAfterSeconds: r.retryAfterSeconds,
              }
            : { type: "login.failed", reason: "invalid", username, userId: account, ip },
        );
        return r.ok ? INVALID : r; // !user: deleted between the two look-ups
      }
      const established = await establishSession(ctx, session, user, {
        remember: input.remember === true,
        methods: ["pwd"],
        username,
        ip,
        // Read before the hash was checked: a change during the check leaves it stale.
        credentialVersion: proved.credentialVersion ?? user.credentialVersion,
        // Without a version a change during the login is only seen here.
        stillValid: () => unchanged(username, proved),
      });
      if (!established) {
        ctx.audit.emit(session, {
          type: "login.failed",
          reason: "invalid",
          username,
          userId: user.id,
          ip,
        });
        return INVALID;
      }
      return { ok: true, user };
    },

    async logout(session) {
      if (session.userId !== null || session.id !== null)
        ctx.audit.emit(session, { type: "logout" });
      session.destroy();
    },

    async logoutEverywhere(session) {
      const userId = session.userId;
      const handle = session.id;
      session.destroy();
      if (userId === null) return 0;
      const count = await sessions.revokeUserSessions(userId, { reason: "logout-everywhere" });
      // `count` includes this session: its record is still stored until the commit.
      ctx.audit.emit(session, { type: "logout.everywhere", userId, session: handle, count });
      return count;
    },

    async revokeOthers(session) {
      const userId = session.userId;
      if (userId === null) return 0;
      const count = await sessions.revokeUserSessions(userId, {
        except: session,
        reason: "revoke-others",
      });
      ctx.audit.emit(session, { type: "session.revoked", by: "user", scope: "others", count });
      return count;
    },

    async revokeSession(session, handle) {
      const userId = session.userId;
      if (userId === null || typeof handle !== "string" || handle.length > 100) return false;
      const current = handle === session.id;
      const found = await sessions.revokeSession(userId, handle, { reason: "revoke-one" });
      if (found) {
        ctx.audit.emit(session, {
          type: "session.revoked",
          by: "user",
          scope: "one",
          target: handle,
          count: 1,
        });
      }
      if (found && current) session.destroy();
      return found;
    },

    async reauthenticate(session, password) {
      const r = await recheck(session, password, "sudo.failed");
      if (!r.ok) return r;
      // Named before the rotation: the new token only exists after the commit.
      ctx.audit.emit(session, { type: "sudo.confirmed" });
      rotateSignedIn(ctx, session, true);
      recordProof(session, ["pwd"], now(), false);
      return r;
    },

    async changePassword(session, input) {
      const problem = hasher.policyError(input.next);
      if (problem !== null) {
        if (!(await signedIn(session))) return UNAUTHENTICATED;
        ctx.audit.emit(session, { type: "password.change_failed", reason: "policy" });
        return { ok: false, reason: "policy", message: problem };
      }
      // No current password: a fresh passkey step-up stands in for it (and is
      // the only way a passkey-only account sets a password at all).
      const byPasskey =
        input.current === undefined &&
        (await guards.requireRecentAuth(session, { method: "passkey" })).ok;
      const user = byPasskey ? await signedIn(session) : null;
      const r: RecheckResult<U> & { user?: U } = user
        ? { ok: true, user }
        : await recheck(session, input.current, "password.change_failed");
      if (!r.ok) return r;
      await users.setPasswordHash(r.user.id, await hasher.hash(input.next), "change");
      // This session goes on under the new credential version; read after the write.
      const changed = await users.findById(r.user.id);
      if (!changed) {
        session.destroy();
        return UNAUTHENTICATED;
      }
      session.setMeta(META.credentialVersion, versionString(changed.credentialVersion));
      const handle = session.id;
      // Every other session ends (ASVS 5.0 7.4.3); this one continues under a
      // new token. It is spared here because rotation only carries over a
      // record that still exists (issue 10 finding 8); the rotation removes
      // its old record, so the pre-change token dies at the commit either way.
      const count = await sessions.revokeUserSessions(r.user.id, {
        except: session,
        reason: "password-change",
      });
      rotateSignedIn(ctx, session, true);
      recordProof(session, ["pwd"], now(), false);
      ctx.audit.emit(session, { type: "password.changed", session: handle });
      ctx.audit.emit(session, {
        type: "session.revoked",
        by: "password-change",
        session: handle,
        count,
      });
      return r;
    },

    async revokeUser(userId, options = {}) {
      const count = await sessions.revokeUserSessions(userId, { reason: "admin" });
      const actor = options.by ?? null;
      ctx.audit.emit(actor, {
        type: "session.revoked",
        by: "admin",
        userId,
        ...(actor?.userId ? { actor: actor.userId } : {}),
        count,
      });
      return count;
    },

    checkCsrf(session, method, token, options = {}) {
      const r = checkCsrf(session, method, token);
      if (!r.ok) {
        ctx.audit.emit(session, {
          type: "csrf.refused",
          method: method.toUpperCase().slice(0, 16),
          ...(options.path !== undefined ? { path: options.path.slice(0, 200) } : {}),
        });
      }
      return r;
    },

    audit(session, event) {
      ctx.audit.emit(session, event);
    },

    async devices(session) {
      const userId = session.userId;
      if (userId === null) return [];
      const rows = await sessions.listUserSessions(userId, session);
      return Promise.all(
        rows.map(async (r) => ({
          id: r.id,
          current: r.current,
          device: await describeDevice(r.userAgent),
          ip: r.ip,
          createdAt: r.createdAt,
          lastSeenAt: r.lastSeenAt,
          expiresAt: r.expiresAt,
        })),
      );
    },
  };
  registerContext(auth, ctx);
  return auth;
}
