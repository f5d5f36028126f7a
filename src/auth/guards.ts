/**
 * Authorization as pure checks on a session: each guard resolves to
 * `{ ok: true, user }` or a failure carrying the HTTP status an API should
 * send, so every framework maps it its own way.
 *
 * The user is looked up fresh from the directory on each request (once per
 * request: cached per Session object, which lives for one request), so a
 * role removed by an admin counts from the user's next request, without a
 * new login (ASVS 5.0 8.3.2).
 */
import type { Session } from "../core/session.js";
import { authenticationOf } from "./amr.js";
import {
  type AuthContext,
  META,
  rolesFingerprint,
  rotateSignedIn,
  versionString,
} from "./context.js";
import type { GuardResult, User } from "./types.js";

const UNAUTHENTICATED = Object.freeze({
  ok: false,
  status: 401,
  reason: "unauthenticated",
} as const);
const FORBIDDEN = Object.freeze({ ok: false, status: 403, reason: "forbidden" } as const);
const REAUTH = Object.freeze({ ok: false, status: 401, reason: "reauth" } as const);
const NEED_PASSKEY = Object.freeze({
  ok: false,
  status: 401,
  reason: "reauth",
  need: "passkey",
} as const);

/** Options of {@link Guards.requireRecentAuth}. */
export interface RecentAuthOptions {
  /** How recent, ms. @default the `sudoMaxAge` option */
  maxAge?: number;
  /** Count only a proof by this method; any method when absent. */
  method?: "pwd" | "passkey";
  /** With `method: "passkey"`: the authenticator must have verified the user (PIN, biometrics). @default false */
  userVerification?: boolean;
}

export interface Guards<U extends User> {
  /**
   * The signed-in user, fresh from the directory, or null. When the user no
   * longer exists, or their `credentialVersion` is not the one the session
   * was signed in under, the session is destroyed. When the user's roles changed
   * since the last request the session token is rotated (SM-05).
   */
  currentUser(session: Session): Promise<U | null>;
  /** Any signed-in user. */
  requireUser(session: Session): Promise<GuardResult<U>>;
  /** A signed-in user holding at least one of `roles` (403 otherwise). */
  requireRole(session: Session, ...roles: string[]): Promise<GuardResult<U>>;
  /** A signed-in user holding every one of `permissions` (403 otherwise). */
  requirePermission(session: Session, ...permissions: string[]): Promise<GuardResult<U>>;
  /**
   * A signed-in user who proved a credential within `maxAge` ms ("sudo
   * mode"), else `reauth`: ask for the password (`reauthenticate`) or a
   * passkey (`passkeys.stepUp`). With `method: "passkey"` only a passkey
   * proof counts (ASVS 5.0 V7.5.3), and `userVerification: true` asks for
   * one with user verification; the failure then carries `need`.
   * @default maxAge the `sudoMaxAge` option
   * @example
   * const g = await auth.requireRecentAuth(session, { method: "passkey" });
   * if (!g.ok && g.reason === "reauth") return redirect("/confirm?need=passkey");
   */
  requireRecentAuth(
    session: Session,
    options?: number | RecentAuthOptions,
  ): Promise<GuardResult<U>>;
}

/** @internal */
export function createGuards<U extends User>(ctx: AuthContext<U>): Guards<U> {
  const cache = new WeakMap<Session, { userId: string; user: Promise<U | null> }>();

  const lookup = async (session: Session, userId: string): Promise<U | null> => {
    const user = await ctx.users.findById(userId);
    if (user === null) {
      session.destroy(); // deleted account: its sessions must not outlive it
      return null;
    }
    const version = versionString(user.credentialVersion);
    if (version !== undefined) {
      const signedInUnder = session.getMeta<string>(META.credentialVersion);
      if (signedInUnder !== undefined && signedInUnder !== version) {
        // The password (or another credential) changed since this sign-in,
        // here or on another server: the session ends (issue 10 finding 2).
        ctx.audit.emit(session, {
          type: "session.revoked",
          by: "credential-change",
          userId,
          count: 1,
        });
        session.destroy();
        return null;
      }
      // A session signed in before versions were kept adopts the current one.
      if (signedInUnder === undefined) session.setMeta(META.credentialVersion, version);
    }
    const seen = session.getMeta<string>(META.roles);
    const now = rolesFingerprint(user.roles);
    if (seen !== undefined && seen !== now) rotateSignedIn(ctx, session, false);
    if (seen !== now) session.setMeta(META.roles, now);
    return user;
  };

  const currentUser = (session: Session): Promise<U | null> => {
    const userId = session.userId;
    if (userId === null) return Promise.resolve(null);
    const hit = cache.get(session);
    if (hit && hit.userId === userId) return hit.user;
    const user = lookup(session, userId);
    cache.set(session, { userId, user });
    // A failed lookup (directory down) must not be served from the cache to the next guard.
    user.catch(() => cache.delete(session));
    return user;
  };

  const permissionsOf = async (user: U): Promise<Set<string>> => {
    const out = new Set<string>();
    for (const role of user.roles) for (const p of ctx.permissions.get(role) ?? []) out.add(p);
    if (ctx.users.permissionsOf) for (const p of await ctx.users.permissionsOf(user)) out.add(p);
    return out;
  };

  const forbidden = (session: Session, user: U, need: readonly string[]): GuardResult<U> => {
    ctx.audit.emit(session, { type: "access.denied", userId: user.id, need });
    return FORBIDDEN;
  };

  return {
    currentUser,
    async requireUser(session) {
      const user = await currentUser(session);
      return user ? { ok: true, user } : UNAUTHENTICATED;
    },
    async requireRole(session, ...roles) {
      const user = await currentUser(session);
      if (!user) return UNAUTHENTICATED;
      return roles.some((r) => user.roles.includes(r))
        ? { ok: true, user }
        : forbidden(session, user, roles);
    },
    async requirePermission(session, ...permissions) {
      const user = await currentUser(session);
      if (!user) return UNAUTHENTICATED;
      const held = await permissionsOf(user);
      return permissions.every((p) => held.has(p))
        ? { ok: true, user }
        : forbidden(session, user, permissions);
    },
    async requireRecentAuth(session, options) {
      const o = typeof options === "number" ? { maxAge: options } : (options ?? {});
      const maxAge = o.maxAge ?? ctx.sudoMaxAge;
      const user = await currentUser(session);
      if (!user) return UNAUTHENTICATED;
      const record = authenticationOf(session);
      const recent = (at: number | null | undefined) => {
        const age = ctx.now() - (at ?? Number.NEGATIVE_INFINITY);
        return age >= 0 && age <= maxAge;
      };
      if (o.method === "passkey") {
        if (!recent(record.last.passkey)) return NEED_PASSKEY;
        if (o.userVerification === true && record.last.uv !== record.last.passkey)
          return NEED_PASSKEY;
        return { ok: true, user };
      }
      if (o.method === "pwd") return recent(record.last.pwd) ? { ok: true, user } : REAUTH;
      return recent(record.at) ? { ok: true, user } : REAUTH;
    },
  };
}
