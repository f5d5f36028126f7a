/**
 * The store interface: everything a backend must do, nothing a framework
 * needs. Promise-only. Times are milliseconds since the Unix epoch, always
 * passed in by the caller (`now`), so a store never reads a clock of its own
 * for expiry decisions and tests can move time.
 *
 * Keys are store keys ({@link isStoreKey}): SHA-256 of the token's random
 * part, base64url, 43 characters of `[A-Za-z0-9_-]`. A store never sees a
 * usable token.
 *
 * A rejection means the store failed (down, timeout, protocol error) and must
 * be a {@link StoreUnavailableError} ({@link storeFailure} makes one from a
 * driver's error); "not found" is never a rejection.
 *
 * docs/writing-a-store.md walks through the contract method by method;
 * `cloakroom-sessions/testing` is the suite that proves a store keeps it.
 */
import { CloakroomError, StoreUnavailableError } from "./errors.js";
import type { Logger } from "./options.js";

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
 * With `set` and `unset` both empty it is a touch: only the deadlines move.
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
   * every key and JSON value (see `encodedSize`). A touch (nothing to set or
   * unset) never changes the data, so it is never refused for size.
   */
  maxBytes: number;
}

/**
 * `"ok"`: applied. `"missing"`: the session no longer exists or has expired
 * (destroyed, revoked, rotated away); nothing was written and nothing was
 * recreated. `"too_large"`: refused by `maxBytes`; the stored session is unchanged.
 */
export type PatchResult = "ok" | "missing" | "too_large";

/**
 * `"ok"`: the new session is written and the old one is gone. `"missing"`:
 * the old session no longer existed or had expired at `now` (revoked,
 * destroyed, rotated by another request); nothing was written.
 */
export type RotateResult = "ok" | "missing";

/**
 * What a backend can do; the core and the CLI adapt to it. Whether records
 * expire by themselves is not declared but follows from the store: see
 * {@link hasNativeTtl}.
 */
export interface StoreCapabilities {
  /** Several processes or servers share the same records (false for memory). */
  readonly shared: boolean;
}

/** What `stats()` reports. `null` where the backend cannot tell (e.g. expired records under native TTL). */
export interface StoreStats {
  live: number;
  expired: number | null;
  users: number | null;
}

/** Options of {@link SessionStore.purgeExpired}. */
export interface PurgeOptions {
  /** Rows per batch: bounds each statement's lock time. @default 1000 */
  batchSize?: number;
  /** Called after each batch with the running total removed. */
  onProgress?: (removedSoFar: number) => void;
  /** Stop after this many rows in all. */
  limit?: number;
}

/** What `migrate()` did with one migration, like Kysely's MigrationResult. */
export interface MigrationResult {
  version: number;
  name: string;
  status: "applied" | "already-applied";
}

/**
 * A session backend: seven methods every store implements (`get`, `create`,
 * `patch`, `rotate`, `destroy`, `listByUser`, `destroyByUser`), several
 * optional ones. Cloakroom calls it with store keys only (never tokens) and passes the
 * time in, so a store keeps no clock for expiry decisions.
 *
 * Every method either resolves with its documented answer or rejects with a
 * {@link StoreUnavailableError} (the backend failed). The semantics each
 * method must keep are in docs/writing-a-store.md; `storeConformance()` from
 * `cloakroom-sessions/testing` checks them against a real backend.
 *
 * @example
 * // A store for a key-value service with exclusive writes: see
 * // examples/stores/map-store.ts, which passes the conformance kit.
 * const sessions = createSessions({ store: new MyStore(), secrets });
 */
export interface SessionStore {
  /** Short backend name for logs and errors, e.g. `"redis"`. */
  readonly kind: string;
  readonly capabilities: StoreCapabilities;

  /** The session, or null when absent or expired at `now` (an expired record may be removed on the way). */
  get(key: string, now: number): Promise<StoredSession | null>;

  /**
   * `get` without waiting, where the answer is already in this process's
   * memory (the memory store, a tiered store's near cache): the session, null
   * when `get` would resolve null, or undefined when only `get` can tell
   * (the answer needs I/O). Whatever it returns must be what `get` would
   * resolve at that moment, with the same revocation guarantees. Optional:
   * adapters call it first so a cached read costs no promise at all.
   */
  peek?(key: string, now: number): StoredSession | null | undefined;

  /** Writes a new session. Keys are 256-bit random, so a collision is treated as impossible. */
  create(key: string, session: StoredSession): Promise<void>;

  /**
   * Applies a field-level patch atomically and only to a live session: it
   * never recreates a destroyed or expired one. Two patches to different keys
   * of one session, in any interleaving, both survive. A patch with only
   * `touch` moves the idle deadline (never past the absolute one) and is how
   * the manager keeps a busy session alive.
   */
  patch(key: string, patch: SessionPatch, now: number): Promise<PatchResult>;

  /**
   * Rotation (a new token for a session): writes `session` under `newKey`
   * and removes `oldKey`, but only if `oldKey` is still alive at `now`, as
   * one step against any revocation: once `destroy(oldKey)` or a
   * `destroyByUser` that removed it has resolved, a rotation of it resolves
   * `"missing"` and writes nothing, so a request that loaded a session before
   * it was revoked cannot carry it over into a new one (issue 10 finding 8).
   * `session` carries the new record whole (its `userId` may differ from the
   * old one's: signing in rotates); the old record's user index entry goes
   * with it, the new one is indexed as by `create`.
   */
  rotate(
    oldKey: string,
    newKey: string,
    session: StoredSession,
    now: number,
  ): Promise<RotateResult>;

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

  /**
   * Removes every session of the user, except `exceptKey` when given.
   * Resolves to the number this call removed. Two concurrent calls for one
   * user remove each session once; on stores without multi-key atomicity
   * (file, Memcached) they may share the sessions out between them, so each
   * count can be below what either would report alone, while their sum is exact.
   */
  destroyByUser(userId: string, exceptKey?: string): Promise<number>;

  /**
   * Releases connections and timers the store owns (not a client the user
   * passed in). Optional: a store that opened nothing (it was handed its
   * client, or keeps no timer) has nothing to release. Callers that may hold
   * any store use `store.close?.()`.
   */
  close?(): Promise<void>;

  /**
   * Hands the store the logger of the manager that uses it (`createSessions`
   * calls it with its resolved `logger`), for what the store reports outside
   * any call: a failed background sweep, a connection error, a cache failure.
   * A store that wraps others passes it on. Stores that report nothing omit it.
   */
  useLogger?(logger: Logger): void;

  /**
   * Deletes records expired at `now`, in bounded batches, and resolves to the
   * number removed. Omitted by stores whose records expire by themselves
   * (Redis TTL, Memcached exptime): that absence is what {@link hasNativeTtl}
   * reads.
   */
  purgeExpired?(now: number, options?: PurgeOptions): Promise<number>;

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
   * it. Resolves to one entry per migration it knows (applied now or before);
   * a store with a schema but no versioned migrations resolves to `[]`.
   */
  migrate?(): Promise<MigrationResult[]>;
}

/** Store keys as the core makes them: SHA-256, base64url, 43 characters (REL-46). */
const STORE_KEY = /^[A-Za-z0-9_-]{43}$/;

/**
 * True for a well-formed store key. Stores check it before any I/O, so a
 * hostile or malformed key never reaches a filesystem path, a SQL statement
 * (where a trailing space could match under PAD SPACE collations) or a
 * server's key space; a malformed key is "no session", never an error.
 */
export function isStoreKey(key: unknown): key is string {
  return typeof key === "string" && STORE_KEY.test(key);
}

/** Alive at `now`: before both the idle and the absolute deadline. */
export function isAlive(
  r: Pick<StoredSession, "idleExpiresAt" | "absoluteExpiresAt">,
  now: number,
): boolean {
  return r.idleExpiresAt > now && r.absoluteExpiresAt > now;
}

/** True when the store's records expire by themselves: it has no `purgeExpired`. */
export function hasNativeTtl(store: Pick<SessionStore, "purgeExpired">): boolean {
  return typeof store.purgeExpired !== "function";
}

/**
 * What a store rejects with when its driver failed: a Cloakroom error passes
 * through unchanged; anything else becomes a {@link StoreUnavailableError}
 * saying `context` and the driver's message, the original kept as `cause`.
 * @example
 * try { await client.query(sql) } catch (err) { throw storeFailure(err, "mystore: get failed") }
 */
export function storeFailure(err: unknown, context: string): CloakroomError {
  if (err instanceof CloakroomError) return err;
  return new StoreUnavailableError(`${context}: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}

/** Runs one store operation, turning a driver failure into {@link storeFailure}'s error. */
export async function guardStore<T>(context: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw storeFailure(err, context);
  }
}

/** Exported here so store authors find the error they must reject with next to the interface. */
export { StoreUnavailableError };
