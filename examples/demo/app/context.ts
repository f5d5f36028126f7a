/**
 * What every handler receives: the configuration, the user table, the
 * session manager and the auth flows. Handlers hold no state of their own.
 */
import type { DemoConfig } from "../config.js";
import type { Passkeys, Session, SessionManager, SessionMetrics } from "../lib.js";
import type { User, UserDirectory } from "../users/directory.js";
import type { Activity } from "./activity.js";
import type { DemoAudit } from "./audit.js";

/** One of the signed-in user's sessions, ready for the device page. */
export interface DeviceView {
  id: string;
  current: boolean;
  device: string;
  ip: string | null;
  createdAt: number;
  lastSeenAt: number;
}

export type LoginOutcome =
  | { ok: true; user: User }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "throttled"; retryAfterSeconds: number };

/** A password re-check (sudo mode, password change): a login outcome, or not signed in, or a policy refusal. */
export type RecheckOutcome =
  | LoginOutcome
  | { ok: false; reason: "unauthenticated" }
  | { ok: false; reason: "policy"; message: string };

/**
 * The auth flows the demo uses, all provided by `cloakroom-sessions/auth` (see
 * `auth.ts`): the demo implements none of them itself.
 */
export interface DemoAuth {
  /** Passkeys (cloakroom-sessions/auth `createPasskeys`), or null when no origin is configured. */
  readonly passkeys: Passkeys<User> | null;
  /** True when a passkey step-up (or passkey sign-in) happened within the sudo window. */
  passkeyConfirmed(session: Session): Promise<boolean>;
  /** argon2id PHC string; rejects a password the policy refuses (PasswordRejectedError). */
  hashPassword(password: string): Promise<string>;
  /** One registration from this address: a budget per address and a share of the hashing capacity. */
  reserveRegistration(ip: string | null): Promise<{
    allowed: boolean;
    retryAfterSeconds: number;
    settle(o: "success" | "failure"): Promise<void>;
  }>;
  readonly passwordPolicy: { minLength: number; maxLength: number };
  /** Checks the password (equal time for unknown users), throttles, rotates the token on success. */
  login(
    session: Session,
    username: unknown,
    password: unknown,
    options: { ip: string | null; remember: boolean },
  ): Promise<LoginOutcome>;
  /** True when the signed-in user holds `role`; a refusal is audited. */
  hasRole(session: Session, role: string): Promise<boolean>;
  /** The signed-in user, read fresh from the directory, or null. */
  currentUser(session: Session): Promise<User | null>;
  /** True when the password was proved within the sudo window (login or {@link DemoAuth.reauthenticate}). */
  recentlyAuthenticated(session: Session): Promise<boolean>;
  /** Sudo mode: checks the password again; on success a new token and a fresh auth time. */
  reauthenticate(session: Session, password: unknown): Promise<RecheckOutcome>;
  /** Checks `current`, stores `next`, ends every other session of the user, rotates this one. */
  changePassword(session: Session, current: unknown, next: unknown): Promise<RecheckOutcome>;
  logout(session: Session): Promise<void>;
  logoutAll(session: Session): Promise<number>;
  revokeOthers(session: Session): Promise<number>;
  /** False when the signed-in user has no session with that handle. */
  revokeOne(session: Session, id: string): Promise<boolean>;
  /** An admin ends every session of `userId` (audited with the admin's session). */
  revokeUser(userId: string, by: Session): Promise<number>;
  /** Records an admin's role change in the audit trail. */
  rolesChanged(by: Session, userId: string, roles: readonly string[]): void;
  devices(session: Session): Promise<DeviceView[]>;
  /** The session's CSRF token (writes it into the session on first use). */
  csrfToken(session: Session): string;
  /** Constant-time check against the session's token; a refusal is audited. */
  csrfValid(session: Session, token: unknown, where: { method: string; path: string }): boolean;
}

export interface DemoContext {
  config: DemoConfig;
  users: UserDirectory;
  sessions: SessionManager;
  auth: DemoAuth;
  audit: DemoAudit;
  /** Prometheus metrics, for `GET /metrics`. */
  metrics: SessionMetrics;
  /** The last hour per minute, for the activity page. */
  activity: Activity;
}
