/**
 * Session lifecycle events, for audit logs and metrics. A tiny typed emitter
 * rather than node:events, so the core runs on any runtime. A listener that
 * throws is reported to `onListenerError` and never breaks the request.
 */
/**
 * A session's public id, as `Session.id` and `DeviceSession.id` give it
 * (safe to show and log; never the token).
 */
export interface Identified {
  id: string;
  /** @deprecated The same value as `id`, under its former name. */
  handle: string;
}

export interface SessionEventMap {
  /** A new session was written for the first time. */
  created: Identified & { userId: string | null };
  /** A session got a new token (login, `regenerate()`); the old one is dead. */
  rotated: Identified & {
    /** The id the session had before. */
    previousId: string;
    /** @deprecated The same value as `previousId`, under its former name. */
    previousHandle: string;
    userId: string | null;
  };
  /** `destroy()` / logout removed a session. */
  destroyed: Identified & { userId: string | null };
  /** Sessions were removed by user (revoke one, all, all but one). */
  revoked: {
    userId: string;
    count: number;
    /** The id of the one session revoked (`revokeSession`); absent for several. */
    id?: string;
    /** @deprecated The same value as `id`, under its former name. */
    handle?: string;
    reason: RevokeReason;
  };
  /** A cookie pointed to a session past its idle or absolute deadline. */
  expired: Identified & { reason: "idle" | "absolute" | "gone" };
  /**
   * A session cookie was ignored (the visitor continues anonymous). Many
   * `bad_signature` or `unknown` refusals from one place suggest someone
   * guessing tokens. Emitted only when someone listens.
   */
  refused: {
    reason: "malformed" | "bad_signature" | "unknown" | "expired";
    /** The session's id when the cookie named a real (expired or vanished) one. */
    id: string | null;
    /** @deprecated The same value as `id`, under its former name. */
    handle: string | null;
    userId: string | null;
    ip: string | null;
    userAgent: string | null;
  };
}

/** Why sessions were revoked, for audit logs and the `revoked` metric. */
export type RevokeReason =
  | "logout-everywhere"
  | "revoke-one"
  | "revoke-others"
  | "admin"
  | "password-change"
  | "credential-change"
  | "cap"
  | "other";

export type SessionEventName = keyof SessionEventMap;
export type Listener<E extends SessionEventName> = (event: SessionEventMap[E]) => void;

export class SessionEvents {
  readonly #listeners = new Map<SessionEventName, Set<(e: unknown) => void>>();
  readonly #onListenerError: (err: unknown) => void;

  constructor(onListenerError: (err: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  on<E extends SessionEventName>(name: E, listener: Listener<E>): () => void {
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as (e: unknown) => void);
    return () => set.delete(listener as (e: unknown) => void);
  }

  has(name: SessionEventName): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0;
  }

  emit<E extends SessionEventName>(name: E, event: SessionEventMap[E]): void {
    const set = this.#listeners.get(name);
    if (!set) return;
    for (const fn of set) {
      try {
        fn(event);
      } catch (err) {
        this.#onListenerError(err);
      }
    }
  }
}
