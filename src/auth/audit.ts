/**
 * The audit trail: one event per security-relevant decision, in the shape a
 * security team reviews (OWASP ASVS 5.0 V16.3: every authentication attempt,
 * every refused authorization, every session ended on someone's behalf).
 *
 * Events are plain JSON-safe objects with a stable `type` (the catalogue is in
 * docs/operations.md). Each carries when, who (user id), which session (its
 * public handle — never the token or the store key), from where (IP) and with
 * what (user agent). None ever carries a password, a token, a CSRF token or
 * session data. `createAuth` fills in those fields from the request's session;
 * sinks (`audit-sinks.ts`) write them out.
 */
import type { Session } from "../core/session.js";

/** Every `type` the library emits. Stable: dashboards and alerts match on them. */
export const AUDIT_EVENT_TYPES = [
  "login.succeeded",
  "login.failed",
  "login.throttled",
  "logout",
  "logout.everywhere",
  "session.revoked",
  "sudo.confirmed",
  "sudo.failed",
  "password.changed",
  "password.change_failed",
  "role.changed",
  "access.denied",
  "csrf.refused",
  "cookie.refused",
  "passkey.registered",
  "passkey.removed",
  "passkey.clone_suspected",
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/**
 * Who ended sessions, on `session.revoked`; `credential-change`: a session
 * met signed in under an old credential version (`User.credentialVersion`),
 * or the other sessions ended when a passkey was removed.
 */
export type RevokedBy = "user" | "admin" | "password-change" | "cap" | "credential-change";

/** Why a cookie was ignored, on `cookie.refused` (the signal for session-ID guessing). */
export type CookieRefusal = "malformed" | "bad_signature" | "unknown" | "expired";

/** One audit event. Fields after `userAgent` appear only on the types that use them. */
export interface AuditEvent {
  type: AuditEventType;
  /** ISO 8601, UTC, millisecond precision. */
  time: string;
  /** The user the event is about, or null (a failed login for an unknown name, an anonymous visitor). */
  userId: string | null;
  /** Public handle of the request's session (as in device lists), or null when it has none. */
  session: string | null;
  ip: string | null;
  userAgent: string | null;
  /** `login.*`: the username as typed (at most 64 characters). Never the password. */
  username?: string;
  /**
   * `login.failed`, `sudo.failed`, `password.change_failed`: `invalid`,
   * `throttled` or `policy`; `cookie.refused`: a {@link CookieRefusal}.
   */
  reason?: string;
  /** `login.throttled` and friends: seconds until another attempt is allowed. */
  retryAfterSeconds?: number;
  /** `session.revoked`: who ended them. */
  by?: RevokedBy;
  /** `session.revoked`, `role.changed`: the acting user when it is not `userId` (an admin). */
  actor?: string;
  /** `session.revoked`, `logout.everywhere`: how many sessions ended. */
  count?: number;
  /** `session.revoked` by the user: `one` or `others`. */
  scope?: "one" | "others" | "all";
  /** `session.revoked` of one session: its handle. */
  target?: string;
  /** `role.changed`: the roles after the change; `access.denied`: the roles or permissions needed. */
  roles?: readonly string[];
  need?: readonly string[];
  /** `csrf.refused`: the HTTP method; `login.succeeded`: `password` or `passkey`. */
  method?: string;
  /** `passkey.*`: the credential ID (base64url; public, not a secret). */
  credential?: string;
  /** `csrf.refused`, `access.denied`: the path, when the caller gives it. */
  path?: string;
}

/** Where events go: a function, e.g. a JSON-lines file sink or your logger. Must not throw (it is caught and logged if it does). */
export type AuditSink = (event: AuditEvent) => void;

/** What a caller supplies; the trail fills in `time`, `session`, `ip`, `userAgent` and (from the session) `userId`. */
export type AuditInput = Omit<AuditEvent, "time" | "session" | "ip" | "userAgent" | "userId"> & {
  userId?: string | null;
  /** Override the session handle (e.g. the one just ended). */
  session?: string | null;
  ip?: string | null;
  userAgent?: string | null;
};

const USERNAME_LIMIT = 64;

/**
 * Fans events out to sinks; a sink that throws is reported to `onError` and
 * never breaks the request (an audit outage must not lock users out).
 * @internal Built by `createAuth`; apps emit their own events with `auth.audit`.
 */
export class AuditTrail {
  readonly #sinks: readonly AuditSink[];
  readonly #now: () => number;
  readonly #onError: (err: unknown) => void;

  constructor(
    sinks: AuditSink | readonly AuditSink[] | undefined,
    now: () => number,
    onError: (err: unknown) => void,
  ) {
    this.#sinks = sinks === undefined ? [] : typeof sinks === "function" ? [sinks] : [...sinks];
    this.#now = now;
    this.#onError = onError;
  }

  /** False when nobody listens: callers skip building events then. */
  get enabled(): boolean {
    return this.#sinks.length > 0;
  }

  emit(session: Session | null, input: AuditInput): void {
    if (this.#sinks.length === 0) return;
    const { type, userId, session: handle, ip, userAgent, ...details } = input;
    // Fixed fields first, so every JSON line reads the same way.
    const event: AuditEvent = {
      type,
      time: new Date(this.#now()).toISOString(),
      userId: userId !== undefined ? userId : (session?.userId ?? null),
      session: handle !== undefined ? handle : (session?.id ?? null),
      ip: ip !== undefined ? ip : (session?._ip ?? null),
      userAgent: userAgent !== undefined ? userAgent : (session?._userAgent ?? null),
      ...details,
    };
    if (event.username !== undefined) event.username = event.username.slice(0, USERNAME_LIMIT);
    for (const sink of this.#sinks) {
      try {
        sink(event);
      } catch (err) {
        this.#onError(err);
      }
    }
  }
}
