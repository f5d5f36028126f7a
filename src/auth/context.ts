/**
 * What the parts of `createAuth` share: resolved options, and the one way
 * this library rotates a signed-in session.
 */
import type { SessionManager } from "../core/manager.js";
import type { Session } from "../core/session.js";
import type { AuditTrail } from "./audit.js";
import type { PasswordHasher } from "./password.js";
import type { LoginThrottle } from "./throttle.js";
import type { User, UserDirectory } from "./types.js";

/** Session metadata written by this library (stored as `$authAt` etc., hidden from `session.keys()`). */
export const META = {
  /** When the user last proved their password, ms since the epoch. */
  authAt: "authAt",
  /** When each method (`pwd`, `passkey`, `uv`) was last proved on this session: see amr.ts. */
  amr: "amr",
  /** The methods of the sign-in that started this session. */
  signInAmr: "signInAmr",
  /** A pending WebAuthn challenge (single-use; see passkeys/challenge.ts). */
  webauthn: "webauthn",
  /** The roles seen at the last check, sorted and joined: a change rotates the session (SM-05). */
  roles: "roles",
  /**
   * The user's credential version at sign-in (`User.credentialVersion`, as a
   * string): a session whose version is no longer the user's is not signed in.
   */
  credentialVersion: "cv",
  /** Set by the core for "remember me" sessions. */
  persistent: "persistent",
} as const;

/** @internal */
export interface AuthContext<U extends User> {
  sessions: SessionManager;
  users: UserDirectory<U>;
  hasher: PasswordHasher;
  throttle: LoginThrottle | null;
  permissions: ReadonlyMap<string, readonly string[]>;
  rememberTimeout: number;
  sudoMaxAge: number;
  keepOnLogin: readonly string[];
  maxSessionsPerUser: number;
  now: () => number;
  audit: AuditTrail;
}

/** @internal The roles as stored in `$roles`: order-insensitive. */
export function rolesFingerprint(roles: readonly string[]): string {
  return [...roles].sort().join("\n");
}

/** @internal A credential version as stored in `$cv`; undefined when the directory keeps none. */
export function versionString(v: string | number | undefined | null): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}

/**
 * A new token for the same user, keeping the data and the CSRF secret.
 * `fresh`: the user just re-proved the password, so the session gets a new
 * absolute lifetime; otherwise (a role change) it keeps its deadline.
 * @internal
 */
export function rotateSignedIn<U extends User>(
  ctx: AuthContext<U>,
  session: Session,
  fresh: boolean,
): void {
  const userId = session.userId;
  if (userId === null) return;
  const persistent = session.getMeta(META.persistent) === true;
  const remaining = (session.absoluteExpiresAt ?? 0) - ctx.now();
  const absoluteTimeout = fresh
    ? persistent
      ? ctx.rememberTimeout
      : undefined
    : remaining > 0
      ? remaining
      : undefined;
  session.setUser(userId, { persistent, absoluteTimeout });
}

const contexts = new WeakMap<object, AuthContext<User>>();

/** @internal Lets add-ons built on an `Auth` (passkeys) share its resolved options. */
export function registerContext<U extends User>(auth: object, ctx: AuthContext<U>): void {
  contexts.set(auth, ctx as unknown as AuthContext<User>);
}

/** @internal The context of an `Auth` made by `createAuth`, or undefined. */
export function contextOf<U extends User>(auth: object): AuthContext<U> | undefined {
  return contexts.get(auth) as unknown as AuthContext<U> | undefined;
}
