/**
 * The types an app meets when it wires `cloakroom-sessions/auth`: the user directory
 * it implements, and the result objects every call resolves to. Results are
 * plain discriminated unions so each framework maps them to HTTP its own way.
 */
import type { Duration } from "../core/duration.js";
import type { SessionManager } from "../core/manager.js";
import type { Session } from "../core/session.js";
import type { AuditEvent, AuditInput, AuditSink } from "./audit.js";
import type { Guards } from "./guards.js";
import type { PasswordHasher, PasswordOptions } from "./password.js";
import type { LoginThrottle, ThrottleReservation } from "./throttle.js";

/** A user as the app's directory returns it on every request. */
export interface User {
  id: string;
  username: string;
  /** Looked up fresh on each request, so a role removed by an admin is gone at the next one. */
  roles: readonly string[];
  /**
   * Changes whenever the user's credentials do (password set or reset,
   * account disabled, anything after which old sessions must end): a
   * counter column bumped by `setPasswordHash(…, "change")`, or the time of
   * the last change. Each session keeps the version it was signed in under;
   * one whose version no longer matches is not signed in (destroyed at its
   * next request), on every server, because it is compared with what
   * `findById` returns on every request: no extra store or directory call.
   * Absent: sessions are not checked this way (a password change through
   * `changePassword` still ends them, in-flight logins included).
   */
  credentialVersion?: string | number;
}

/** What login needs to check a password. */
export interface UserCredentials {
  id: string;
  /** A PHC string, e.g. `$argon2id$v=19$m=19456,t=2,p=1$…`. */
  passwordHash: string;
  /** {@link User.credentialVersion}, read with the hash it goes with. */
  credentialVersion?: string | number;
}

/**
 * Why `setPasswordHash` is called: `"change"` a new password (bump the
 * credential version), `"rehash"` the same password under new hashing
 * parameters (keep it: the sessions stay valid).
 */
export type PasswordHashReason = "change" | "rehash";

/**
 * Where users live: the app implements it (SQL table, LDAP, anything).
 * Methods resolve to `null` for "no such user" and reject only on failure.
 * @example
 * const users: UserDirectory = {
 *   findByUsername: async (name) => db.get("SELECT id, password_hash AS passwordHash FROM users WHERE username = ?", name) ?? null,
 *   findById: async (id) => { const u = db.get("SELECT id, username, roles FROM users WHERE id = ?", id); return u ? { ...u, roles: u.roles.split(",") } : null; },
 *   setPasswordHash: async (id, hash) => { db.run("UPDATE users SET password_hash = ? WHERE id = ?", hash, id); },
 *   // With a credential version (signs out sessions of a changed password on every server):
 *   // SELECT …, cred_version AS credentialVersion in both finds, and
 *   // UPDATE users SET password_hash = ?, cred_version = cred_version + (? = 'change') WHERE id = ?
 * };
 */
export interface UserDirectory<U extends User = User> {
  /** Exact match on what the user typed; normalise (e.g. lower-case) here if your usernames are case-insensitive. */
  findByUsername(username: string): Promise<UserCredentials | null>;
  /** Called on every guarded request: keep it cheap (an indexed primary-key lookup). */
  findById(id: string): Promise<U | null>;
  /**
   * Stores a new hash: a password change (`reason` `"change"`: bump
   * {@link User.credentialVersion} in the same write), or a rehash after the
   * parameters changed (`"rehash"`: keep it). A rehash passes `replacing`,
   * the hash it verified: store only while that is still the stored one
   * (`UPDATE … WHERE id = ? AND password_hash = ?`), so a password changed
   * meanwhile is never set back to the old one.
   */
  setPasswordHash(
    id: string,
    passwordHash: string,
    reason: PasswordHashReason,
    replacing?: string,
  ): Promise<void>;
  /**
   * Permissions of a user, when they do not follow from `options.permissions`
   * (a role → permissions map). Called fresh on each `requirePermission`.
   */
  permissionsOf?(user: U): Promise<readonly string[]> | readonly string[];
}

/** Why a login or a password re-check did not succeed. */
export type CredentialFailure =
  /** Unknown user or wrong password: deliberately indistinguishable (answer 401). */
  | { ok: false; reason: "invalid" }
  /** Too many recent failures for this username or address (answer 429 with `Retry-After`). */
  | { ok: false; reason: "throttled"; retryAfterSeconds: number };

export type LoginResult<U extends User = User> = { ok: true; user: U } | CredentialFailure;

/** Result of `reauthenticate` and `changePassword`. */
export type RecheckResult<U extends User = User> =
  | { ok: true; user: U }
  | CredentialFailure
  /** No signed-in user on this session (answer 401). */
  | { ok: false; reason: "unauthenticated" }
  /** The new password breaks the policy; `message` says why, never echoing it (answer 400). */
  | { ok: false; reason: "policy"; message: string };

/**
 * The answer of a guard. `status` is the HTTP status an API should send;
 * HTML pages usually redirect instead (303 to the login page for
 * `unauthenticated`, to a "confirm your password" page for `reauth`).
 */
export type GuardResult<U extends User = User> =
  | { ok: true; user: U }
  | { ok: false; status: 401; reason: "unauthenticated" }
  | { ok: false; status: 403; reason: "forbidden" }
  /** `need: "passkey"`: only a fresh passkey assertion will do (`requireRecentAuth` with `method: "passkey"`). */
  | { ok: false; status: 401; reason: "reauth"; need?: "passkey" };

/** One of the signed-in user's sessions, ready for a device page. */
export interface DeviceEntry {
  /** The session's public id (as `Session.id`): safe to show and to put in a revoke URL. Never the token. */
  id: string;
  /** True for the session that asked. */
  current: boolean;
  /** Readable device, e.g. `"Firefox on Linux"`, or `"Unknown device"`. */
  device: string;
  ip: string | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

/** @deprecated The audit event; see {@link AuditEvent}. */
export type AuthEvent = AuditEvent;

/** Options of {@link createAuth}. Only `sessions` and `users` are required. */
export interface AuthOptions<U extends User = User> {
  sessions: SessionManager;
  users: UserDirectory<U>;
  /**
   * Failed-login throttling. `false` turns it off (tests only).
   * @default createLoginThrottle({ store: sessions.store }) — shared by every server on that store
   */
  throttle?: LoginThrottle | false;
  /**
   * The app's canonical form of a username, for the throttle's account
   * counters: make it match what your directory does to names (trim, case,
   * Unicode form), so a variant that signs in as an account shares its count.
   * @default trim + NFKC + lower case
   */
  canonicalUsername?: (username: string) => string;
  /** "Remember me": a persistent cookie and this absolute lifetime. @default { absoluteTimeout: "30d" } */
  remember?: { absoluteTimeout?: Duration };
  /** How recent a password check `requireRecentAuth` accepts (ms or `"10m"`). @default "10m" */
  sudoMaxAge?: Duration;
  /** Role → permissions, for `requirePermission`. @example { admin: ["users:write", "sessions:revoke"] } */
  permissions?: Readonly<Record<string, readonly string[]>>;
  /** Argon2id parameters and limits, or a hasher of your own. @default OWASP argon2id (m=19456, t=2, p=1) */
  password?: PasswordOptions | PasswordHasher;
  /**
   * Session data keys carried over into the signed-in session at login
   * (e.g. a cart). Everything else written before login is dropped (SM-06).
   * @default []
   */
  keepOnLogin?: readonly string[];
  /**
   * Most live sessions one user may hold (ASVS 5.0 7.1.2). A login past the
   * cap ends the user's least recently active sessions to make room; the new
   * login always succeeds. `Infinity` for no cap.
   * @default 20
   */
  maxSessionsPerUser?: number;
  /**
   * Audit sinks: every login attempt, logout, revocation, sudo confirmation,
   * refused authorization, CSRF refusal and refused cookie, as an
   * {@link AuditEvent} (catalogue in docs/operations.md). Never sees a
   * password or a token. A sink that throws is logged and ignored.
   * @example onEvent: [auditFile("./data/audit.jsonl"), auditToLogger(console)]
   */
  onEvent?: AuditSink | readonly AuditSink[];
}

/** Input of {@link Auth.login}. Fields are `unknown` because they come straight from a request body. */
export interface LoginInput {
  username: unknown;
  password: unknown;
  /** A persistent cookie and the longer "remember me" lifetime. @default false */
  remember?: boolean;
  /** The client address, for per-address throttling and the audit event. */
  ip?: string | null | undefined;
}

export interface Auth<U extends User = User> extends Guards<U> {
  /**
   * Checks the credentials; on success signs the user into a new session
   * token (the old one dies at commit: session fixation) with a fresh CSRF
   * secret. Unknown user and wrong password give the same frozen result
   * object after the same work (a dummy hash is verified for unknown users).
   * @example
   * const r = await auth.login(session, { username: body.username, password: body.password, remember: body.remember === "on", ip: req.ip });
   * if (!r.ok) return r.reason === "throttled" ? tooMany(r.retryAfterSeconds) : unauthorized();
   */
  login(session: Session, input: LoginInput): Promise<LoginResult<U>>;
  /** Ends this session: record removed and cookie cleared at commit. */
  logout(session: Session): Promise<void>;
  /** Ends every session of the signed-in user, this one included. Resolves to the number ended. */
  logoutEverywhere(session: Session): Promise<number>;
  /** Ends every session of the signed-in user but this one. */
  revokeOthers(session: Session): Promise<number>;
  /** Ends one of the signed-in user's sessions by its public id; false when it is not theirs (answer 404). */
  revokeSession(session: Session, id: unknown): Promise<boolean>;
  /** Asks for the password again ("sudo mode"): on success, a new token and a fresh auth time. */
  reauthenticate(session: Session, password: unknown): Promise<RecheckResult<U>>;
  /**
   * Checks `current`, stores `next`, ends every other session and rotates
   * this one. With `current` undefined, a passkey step-up within the sudo
   * window (`requireRecentAuth(session, { method: "passkey" })`) takes the
   * current password's place.
   */
  changePassword(
    session: Session,
    input: { current: unknown; next: unknown },
  ): Promise<RecheckResult<U>>;
  /** The signed-in user's sessions, most recently active first, with readable device names. */
  devices(session: Session): Promise<DeviceEntry[]>;
  /**
   * Ends every session of `userId` on an admin's behalf; audited as
   * `session.revoked` by `admin`, with the admin from `options.by`.
   * Resolves to the number ended.
   */
  revokeUser(userId: string, options?: { by?: Session | null }): Promise<number>;
  /**
   * {@link checkCsrf} that also records a `csrf.refused` audit event.
   * @example
   * const r = auth.checkCsrf(session, req.method, req.body?._csrf ?? req.get("x-csrf-token"), { path: req.path });
   * if (!r.ok) return res.status(403).send("Invalid CSRF token");
   */
  checkCsrf(
    session: Session,
    method: string,
    token: unknown,
    options?: { path?: string },
  ): { ok: true } | { ok: false; status: 403; reason: "csrf" };
  /**
   * Records an event of the app's own (e.g. `role.changed` when an admin
   * edits roles) with the time, session handle, IP and user agent filled in
   * from `session`.
   * @example auth.audit(adminSession, { type: "role.changed", userId: target.id, actor: admin.id, roles })
   */
  audit(session: Session | null, event: AuditInput): void;
  /** The hasher in use: hash new users' passwords with it. */
  readonly hasher: PasswordHasher;
  /**
   * Reserves one registration (one password hash) from this client address:
   * a per-address budget and a share of the hashing capacity. Refused: answer
   * 429 with `Retry-After`. Call `settle` when the registration is done.
   * Always allowed when throttling is off.
   */
  reserveRegistration(ip: string | null): Promise<ThrottleReservation>;
}
