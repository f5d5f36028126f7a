/**
 * The store interface: everything a backend must do, nothing a framework
 * needs. Promise-only. Times are milliseconds since the Unix epoch, always
 * passed in by the caller (`now`), so a store never reads a clock of its own
 * for expiry decisions and tests can move time.
 *
 * Keys are store keys: SHA-256 of the token's random part, base64url, 43
 * characters of `[A-Za-z0-9_-]`. A store never sees a usable token.
 *
 * A rejection means the store failed (down, timeout, protocol error) and must
 * be a {@link StoreUnavailableError}; "not found" is never a rejection.
 */
import type { StoreUnavailableError } from "./errors.js";

/** A session as the store holds it. */
export interface StoredSession {
  /** Top-level key → JSON text of its value. Keys starting with `$` belong to Cloakroom. */
  data: Record<string, string>;
  /** The signed-in user, or null for an anonymous session. Indexed by every store. */
  userId: string | null;
  createdAt: number;
  lastSeenAt: number;
  /** Sliding deadline: moved forward by touches, never past `absoluteExpiresAt`. */
  idleExpiresAt: number;
  /** Hard deadline fixed at creation. */
  absoluteExpiresAt: number;
  ip: string | null;
  userAgent: string | null;
}

/** One of a user's sessions, as listed by {@link SessionStore.listByUser} (no data). */
export interface SessionSummary {
  key: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
  idleExpiresAt: number;
  absoluteExpiresAt: number;
  ip: string | null;
  userAgent: string | null;
}

/**
 * A field-level change, applied atomically: set these keys, remove those,
 * optionally move the idle deadline, and only if the session still exists.
 */
export interface SessionPatch {
  /** Key → new JSON text. */
  set: Record<string, string>;
  /** Keys to remove. Never also in `set`. */
  unset: string[];
  /** When present, also move `lastSeenAt` and `idleExpiresAt` (never past the absolute deadline). */
  touch?: { lastSeenAt: number; idleExpiresAt: number };
  /**
   * Refuse the patch (`"too_large"`, nothing written) if the resulting data
   * would exceed this many bytes, measured as the sum of the UTF-8 lengths of
   * every key and JSON value (see `encodedSize`).
   */
  maxBytes: number;
}

/**
 * `"ok"`: applied. `"missing"`: the session no longer exists or has expired
 * (destroyed, revoked, rotated away); nothing was written and nothing was
 * recreated. `"too_large"`: refused by `maxBytes`; the stored session is unchanged.
 */
export type PatchResult = "ok" | "missing" | "too_large";

/** What a backend can do natively; the core and the CLI adapt to it. */
export interface StoreCapabilities {
  /** Records expire by themselves (Redis TTL, Memcached exptime): `purgeExpired` is a no-op. */
  readonly nativeTtl: boolean;
  /** Several processes or servers share the same records (false for memory). */
  readonly shared: boolean;
}

/** What `stats()` reports. `null` where the backend cannot tell (e.g. expired records under native TTL). */
export interface StoreStats {
  live: number;
  expired: number | null;
  users: number | null;
}

export interface PurgeOptions {
  /** Rows per batch: bounds each statement's lock time. @default 1000 */
  batchSize?: number;
  /** Called after each batch with the running total removed. */
  onProgress?: (removedSoFar: number) => void;
  /** Stop after this many rows in all. */
  limit?: number;
}

export interface SessionStore {
  /** Short backend name for logs and errors, e.g. `"redis"`. */
  readonly kind: string;
  readonly capabilities: StoreCapabilities;

  /** The session, or null when absent or expired at `now` (an expired record may be removed on the way). */
  get(key: string, now: number): Promise<StoredSession | null>;

  /** Writes a new session. Keys are 256-bit random, so a collision is treated as impossible. */
  create(key: string, session: StoredSession): Promise<void>;

  /**
   * Applies a field-level patch atomically and only to a live session: it
   * never recreates a destroyed or expired one. Two patches to different keys
   * of one session, in any interleaving, both survive.
   */
  patch(key: string, patch: SessionPatch, now: number): Promise<PatchResult>;

  /** Moves the idle deadline of a live session; false (and nothing written) when it is gone. */
  touch(key: string, lastSeenAt: number, idleExpiresAt: number, now: number): Promise<boolean>;

  /** Removes the session at once. Removing an absent session is not an error. */
  destroy(key: string): Promise<void>;

  /**
   * Compare-and-delete of one data field, for single-use values such as a
   * WebAuthn challenge: removes `field` from the live session `key` only if
   * it holds the JSON string `value` (stored text `JSON.stringify(value)`),
   * and resolves true when this call removed it. Atomic: of any number of
   * concurrent calls for one field, at most one resolves true, on every
   * server sharing the store. Moves no deadline. False (nothing written) when
   * the session is gone or expired at `now`, or the field holds anything else.
   * Optional so that stores written before it still type-check; every
   * built-in store has it, and `cloakroom-sessions/auth` passkeys require it.
   */
  consumeField?(key: string, field: string, value: string, now: number): Promise<boolean>;

  /** The user's live sessions at `now`, any order. Dead index entries may be pruned on the way. */
  listByUser(userId: string, now: number): Promise<SessionSummary[]>;

  /** Removes every session of the user, except `exceptKey` when given. Resolves to the number removed. */
  destroyByUser(userId: string, exceptKey?: string): Promise<number>;

  /** Deletes records expired at `now`, in bounded batches. Resolves to the number removed (0 with native TTL). */
  purgeExpired(now: number, options?: PurgeOptions): Promise<number>;

  /**
   * Atomically adds `by` to the counter `name` and resolves to the new value.
   * A counter that does not exist or has expired starts from 0 and expires
   * `ttlMs` after `now`; later increments do not move its expiry (a fixed
   * window). `by` may be negative (a refund) or 0 (a read). Counters live
   * apart from sessions: never listed, counted, cached or evicted as one.
   * Login throttling uses them; every shared store implements them, so all
   * app servers on one store share the counts. `name` is at most 200
   * characters of `[A-Za-z0-9_:.-]`.
   */
  increment?(name: string, by: number, ttlMs: number, now: number): Promise<number>;

  /** Forgets the counter `name` (absent is not an error). Present exactly when `increment` is. */
  resetCounter?(name: string): Promise<void>;

  /** Counts for `cloakroom-sessions stats`; stores that cannot count cheaply omit it. */
  stats?(now: number): Promise<StoreStats>;

  /**
   * Creates or upgrades the schema; idempotent. Stores without a schema omit
   * it. May resolve to a report of what was applied (the SQL stores give one
   * entry per migration); callers that only need "done" ignore it.
   */
  migrate?(): Promise<unknown>;

  /** Releases connections and timers the store owns (not a client the user passed in). */
  close(): Promise<void>;
}

/** Re-exported so store authors find the error they must reject with next to the interface. */
export type { StoreUnavailableError };
