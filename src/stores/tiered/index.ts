/**
 * The tiered store: a durable store (the source of truth) with a cache store
 * in front, as Django's `cached_db` backend does. Reads try the cache, then
 * the durable store, and fill the cache. Writes go to the durable store
 * first, whose answer decides; then the cache entry is dropped (not
 * rewritten: the next read fills it from the truth). Revocation (destroy,
 * destroyByUser) removes the session from the durable store and the cache.
 *
 * What "revocation everywhere" means here, honestly:
 * - Shared cache (Redis, Memcached): every server reads the same cache, so a
 *   revoke is seen by all of them at once. A read that raced the revoke (it
 *   read the durable store just before the delete, and fills the cache just
 *   after) is undone by a second cache delete `redeleteAfter` ms later.
 *   Plain writes get one delete: a racing read can leave the previous
 *   version of the data cached, for at most `cacheTtl`.
 * - Near cache (`memory:`, one per process): a revoke on one server cannot
 *   reach another server's memory. Those keep serving the session until its
 *   cache entry expires: at most `cacheTtl`, hence the short default (5 s)
 *   and the 60 s ceiling. Use a shared cache when that bound is too long.
 * - Cache failures never fail a request: they are reported to `onCacheError`
 *   and the durable store answers. A failed cache call may have missed an
 *   invalidation, so after any failure the cache is bypassed for one
 *   `cacheTtl`: by then every entry that could be stale has expired.
 */
import { ConfigurationError } from "../../core/errors.js";
import type {
  PatchResult,
  PurgeOptions,
  SessionPatch,
  SessionStore,
  SessionSummary,
  StoredSession,
} from "../../core/store.js";
import { fromCacheEntry, toCacheEntry } from "./cache-entry.js";

export interface TieredStoreOptions {
  /** The source of truth, e.g. a PostgreSQL or SQLite store. */
  durable: SessionStore;
  /** The cache in front, e.g. a Redis, Memcached or memory store. */
  cache: SessionStore;
  /**
   * Longest life of a cache entry, ms: the bound on how long a revoked
   * session can still be served by a cache that missed the revocation (a
   * near cache on another server, a cache that failed). At most 60 s for a
   * near cache. @default 60000 for a shared cache, 5000 for a near (`memory:`) cache
   */
  cacheTtl?: number;
  /** Delay of the second cache delete after a revoke or write, ms; 0 disables it. @default 1000 */
  redeleteAfter?: number;
  /** Told about every cache failure (the request itself carries on). @default a console.warn at most every 10 s */
  onCacheError?: (err: unknown, operation: string) => void;
  /** Clock for the bypass after a cache failure and for fills on create. @default Date.now */
  clock?: () => number;
  /** Close the durable and cache stores on `close()`: true when built from a URL. @default false */
  ownsStores?: boolean;
}

const NEAR_CACHE_MAX_TTL = 60_000;

export class TieredStore implements SessionStore {
  readonly kind: string;
  readonly capabilities: SessionStore["capabilities"];
  readonly durable: SessionStore;
  readonly cache: SessionStore;
  readonly cacheTtl: number;
  readonly #redeleteAfter: number;
  readonly #onCacheError: (err: unknown, operation: string) => void;
  readonly #clock: () => number;
  readonly #owns: boolean;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #bypassUntil = Number.NEGATIVE_INFINITY;

  constructor(options: TieredStoreOptions) {
    const { durable, cache } = options;
    const near = !cache.capabilities.shared;
    this.cacheTtl = options.cacheTtl ?? (near ? 5_000 : 60_000);
    if (!(this.cacheTtl > 0)) throw new ConfigurationError("tiered store: cacheTtl must be > 0");
    if (near && this.cacheTtl > NEAR_CACHE_MAX_TTL) {
      throw new ConfigurationError(
        `tiered store: a per-process cache (${cache.kind}) cannot see revocations made on other servers, so cacheTtl (the delay before they apply) is capped at ${NEAR_CACHE_MAX_TTL} ms; use a shared cache (Redis, Memcached) for longer`,
      );
    }
    this.durable = durable;
    this.cache = cache;
    this.kind = `tiered(${durable.kind}+${cache.kind})`;
    this.capabilities = durable.capabilities;
    this.#redeleteAfter = options.redeleteAfter ?? 1000;
    this.#clock = options.clock ?? Date.now;
    this.#owns = options.ownsStores ?? false;
    this.#onCacheError = options.onCacheError ?? rateLimitedWarn(this.#clock);
  }

  async get(key: string, now: number): Promise<StoredSession | null> {
    const entry = await this.#cached("get", () => this.cache.get(key, now));
    const hit = entry ? fromCacheEntry(entry) : null;
    if (hit) return hit;
    const r = await this.durable.get(key, now);
    if (r)
      await this.#cached("fill", () => this.cache.create(key, toCacheEntry(r, now, this.cacheTtl)));
    return r;
  }

  /** Not filled into the cache: the next read does it, and a revoke-all racing a fill cannot miss it. */
  create(key: string, session: StoredSession): Promise<void> {
    return this.durable.create(key, session);
  }

  async patch(key: string, patch: SessionPatch, now: number): Promise<PatchResult> {
    const result = await this.durable.patch(key, patch, now);
    if (result !== "too_large") await this.#invalidate(key, false);
    return result;
  }

  async touch(
    key: string,
    lastSeenAt: number,
    idleExpiresAt: number,
    now: number,
  ): Promise<boolean> {
    const ok = await this.durable.touch(key, lastSeenAt, idleExpiresAt, now);
    await this.#invalidate(key, false);
    return ok;
  }

  async destroy(key: string): Promise<void> {
    await this.durable.destroy(key);
    await this.#invalidate(key, true);
  }

  listByUser(userId: string, now: number): Promise<SessionSummary[]> {
    return this.durable.listByUser(userId, now); // the truth; listings are rare
  }

  async destroyByUser(userId: string, exceptKey?: string): Promise<number> {
    // Cache entries carry no user index: take the keys from the truth, before
    // they are gone from it. A dead session has a dead cache entry too (its
    // cache deadline is never later than its true one). Not covered: a
    // session created after this listing AND read into the cache before the
    // durable delete below; it stays cached for at most cacheTtl.
    const keys = (await this.durable.listByUser(userId, this.#clock()))
      .map((s) => s.key)
      .filter((k) => k !== exceptKey);
    const n = await this.durable.destroyByUser(userId, exceptKey);
    await Promise.all(keys.map((k) => this.#invalidate(k, true)));
    return n;
  }

  async purgeExpired(now: number, options?: PurgeOptions): Promise<number> {
    return this.durable.purgeExpired(now, options);
  }

  async migrate(): Promise<void> {
    await this.durable.migrate?.();
    await this.cache.migrate?.();
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    if (!this.#owns) return;
    await Promise.all([this.durable.close(), this.cache.close()]);
  }

  /**
   * Drops the cache entry. After a revocation, once more shortly: a read that
   * raced it may have refilled the cache with the old record.
   */
  async #invalidate(key: string, revoked: boolean): Promise<void> {
    const drop = () => this.cache.destroy(key);
    await this.#cached("invalidate", drop, true);
    if (revoked) this.#later(() => this.#cached("invalidate", drop, true));
  }

  #later(fn: () => Promise<unknown>): void {
    if (this.#redeleteAfter <= 0) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      void fn();
    }, this.#redeleteAfter);
    t.unref();
    this.#timers.add(t);
  }

  /**
   * Runs a cache call; a failure is reported and yields null. While the cache
   * is bypassed, reads and fills are skipped; invalidations (`removes`) still
   * go out, without holding up the request: they only ever remove data.
   */
  async #cached<T>(operation: string, fn: () => Promise<T>, removes = false): Promise<T | null> {
    const bypassing = this.#clock() < this.#bypassUntil;
    if (bypassing && !removes) return null;
    const run = Promise.resolve()
      .then(fn)
      .catch((err: unknown) => {
        this.#bypassUntil = this.#clock() + this.cacheTtl;
        this.#onCacheError(err, operation);
        return null;
      });
    if (bypassing) return null; // `run` settles by itself and reports its own failure
    return run;
  }
}

function rateLimitedWarn(clock: () => number): (err: unknown, op: string) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (err, op) => {
    if (clock() - last < 10_000) return;
    last = clock();
    console.warn(
      `cloakroom: tiered store cache ${op} failed, serving from the durable store: ${(err as Error)?.message ?? String(err)}`,
    );
  };
}

/**
 * A durable store with a cache in front.
 * @example
 * const store = createTieredStore({
 *   durable: await createStore("postgres://app@db/app"),
 *   cache: await createStore("redis://cache:6379/0"),
 * });
 */
export function createTieredStore(options: TieredStoreOptions): TieredStore {
  return new TieredStore(options);
}
