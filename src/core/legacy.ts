/**
 * The one seam the core offers to another session library's cookies: when a
 * request carries no Cloakroom cookie, the manager asks a {@link LegacySessions}
 * resolver whether the request carries a session it can take over.
 * `cloakroom-sessions/migrate` implements it for express-session and
 * @fastify/session; the core knows nothing about either.
 */
import type { ResolvedOptions } from "./options.js";
import type { RequestInfo } from "./session.js";
import type { StoredSession } from "./store.js";

/** A session the resolver has already written to the Cloakroom store. */
export interface LegacySession {
  /** The token's random part (signed by the manager into the cookie). */
  secret: string;
  /** The store key of `secret` (`storeKeyOf(secret)`), under which `record` is stored. */
  key: string;
  record: StoredSession;
}

export interface LegacyResult {
  /** The session taken over, or null (forged, expired, unreadable, already taken). */
  session: LegacySession | null;
  /** `Set-Cookie` values to send with the response, e.g. clearing the old cookie. */
  setCookies: readonly string[];
}

/**
 * Resolves another library's session cookie. Called only for requests without
 * a usable Cloakroom cookie (none, forged, or naming a session that is gone). Resolves to null when there is nothing to do (no old
 * cookie, transition over); rejects only when a store failed (the manager
 * turns that into a `StoreUnavailableError`, a 503).
 */
export interface LegacySessions {
  load(
    req: RequestInfo,
    options: LegacyContextOptions,
    context: LegacyContext,
  ): Promise<LegacyResult | null>;
}

/** The manager's settings as a resolver sees them (never the signing keys). */
export type LegacyContextOptions = Omit<ResolvedOptions, "keys">;

export interface LegacyContext {
  /**
   * HMAC-SHA256 of `label` under the app's first secret, base64url (43
   * characters): a token secret only this app can derive from `label`.
   */
  derive(label: string): string | Promise<string>;
}
