/**
 * The tiered store: a durable store (the source of truth) with a cache store
 * in front, as Django's `cached_db` backend does. Reads try the cache, then
 * the durable store, and fill the cache. Writes go to the durable store
 * first, whose answer decides; then the cache entry is dropped (not
 * rewritten: the next read fills it from the truth). Revocation (destroy,
 * destroyByUser) removes the session from the durable store and the cache.
 *
 * What "revocation everywhere" means here:
 * - Shared cache (Redis, Memcached): every server reads the same cache, so a
 *   revoke is seen by all of them at once. A read that raced the revoke (it
 *   read the durable store just before the delete, and fills the cache just
 *   after) is undone by a second cache delete `redeleteAfter` ms later.
 *   Plain writes get one delete: a racing read can leave the previous
 *   version of the data cached, for at most `cacheTtl`.
 * - Near cache (`memory:`, one per process): decoded records in this
 *   process, zero round trips on a hit. Every write and revocation is
 *   broadcast on an invalidation channel (PostgreSQL LISTEN/NOTIFY, Redis
 *   pub/sub) and acknowledged only once every process has dropped the entry
 *   or stopped serving from its cache (see `coherence.ts`). Without a channel
 *   a near cache over a shared durable store is refused, unless the app says
 *   it runs one process (`singleProcess`).
 * - Cache failures never fail a request: they are reported to `onCacheError`
 *   and the durable store answers. A failed cache call may have missed an
 *   invalidation, so after any failure the cache is bypassed for one
 *   `cacheTtl`: by then every entry that could be stale has expired.
 */
import { ConfigurationError } from "../../core/errors.js";
import type { Logger } from "../../core/options.js";
import type {
  MigrationResult,
  PatchResult,
  PurgeOptions,
  RotateResult,
  SessionPatch,
  SessionStore,
  SessionSummary,
  StoredSession,
} from "../../core/store.js";
import { StoreLog } from "../shared/store-log.js";
import type { InvalidationBus } from "./bus.js";
import { fromCacheEntry, toCacheEntry } from "./cache-entry.js";
import { type CacheCoherence, Coherence, localCoherence } from "./coherence.js";
import { NearCache } from "./near-cache.js";

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
  /** Told about every cache failure (the request itself carries on). @default a warning through the manager's logger at most every 10 s */
  onCacheError?: (err: unknown, operation: string) => void;
  /** Clock for the bypass after a cache failure and for fills on create. @default Date.now */
  clock?: () => number;
  /** Close the durable and cache stores on `close()`: true when built from a URL. @default false */
  ownsStores?: boolean;
  /**
   * Near cache (`cache` is a per-process store such as `memory:`): the channel
   * that carries invalidations between processes, e.g.
   * `createPostgresBus({ url })` or `createRedisBus({ url })` (both in
   * `cloakroom-sessions/stores/tiered`). Writes and revocations resolve only
   * once every process has dropped the entry or stopped serving from cache.
   */
  invalidation?: InvalidationBus;
  /**
   * Near cache without a channel: allowed only when this process is the only
   * one using the durable store (every write then goes through it). A near
   * cache over a shared durable store with neither is refused. @default false
   */
  singleProcess?: boolean;
  /** Near cache: how long a process serves from its cache after hearing its own heartbeat on the channel, ms. @default 1000 */
  lease?: number;
  /** Near cache: most entries kept per process. @default 10000 */
  maxEntries?: number;
}

export class TieredStore implements SessionStore {
  readonly kind: string;
  readonly capabilities: SessionStore["capabilities"];
  readonly durable: SessionStore;
  readonly cache: SessionStore;
  readonly cacheTtl: number;
  /** The durable store's, when it has one: expiry is the durable store's business. */
  readonly purgeExpired?: (now: number, options?: PurgeOptions) => Promise<number>;
  readonly #redeleteAfter: number;
  readonly #onCacheError: (err: unknown, operation: string) => void;
  readonly #clock: () => number;
  readonly #log = new StoreLog();
  readonly #owns: boolean;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #bypassUntil = Number.NEGATIVE_INFINITY;
  /** Near-cache mode only: the entries and what keeps them coherent. */
  readonly #near: NearCache | undefined;
  readonly #coherence: CacheCoherence | undefined;
  /** Resolves once the store can serve (near cache: subscribed to its channel). */
  readonly ready: Promise<void>;
  /** Counters (login throttling) live in the durable store only: a cached count would let attempts through. */
  readonly increment?: SessionStore["increment"];
  readonly resetCounter?: SessionStore["resetCounter"];

  constructor(options: TieredStoreOptions) {
    const { durable, cache } = options;
    const near = !cache.capabilities.shared;
    this.cacheTtl = options.cacheTtl ?? 60_000;
    if (!(this.cacheTtl > 0)) throw new ConfigurationError("tiered store: cacheTtl must be > 0");
    if (near && !options.invalidation && !options.singleProcess && durable.capabilities.shared) {
      throw new ConfigurationError(
        `tiered store: a per-process cache (${cache.kind}) in front of a shared ${durable.kind} store would keep serving sessions that another server revoked. Give it an invalidation channel (tiered:?…&channel=<redis:// or postgres:// URL>, or the invalidation option; a postgres:// or redis:// durable store is its own channel), or say the app runs one process (singleProcess=true)`,
      );
    }
    this.durable = durable;
    this.cache = cache;
    if (durable.increment && durable.resetCounter) {
      this.increment = (name, by, ttlMs, now) => durable.increment!(name, by, ttlMs, now);
      this.resetCounter = (name) => durable.resetCounter!(name);
    }
    this.kind = `tiered(${durable.kind}+${cache.kind})`;
    this.capabilities = durable.capabilities;
    if (durable.purgeExpired) this.purgeExpired = durable.purgeExpired.bind(durable);
    this.#redeleteAfter = options.redeleteAfter ?? 1000;
    this.#clock = options.clock ?? Date.now;
    this.#owns = options.ownsStores ?? false;
    this.#onCacheError = options.onCacheError ?? rateLimitedWarn(this.#clock, this.#log);
    if (near) {
      this.#near = new NearCache(options.maxEntries ?? 10_000);
      this.#coherence = options.invalidation
        ? new Coherence(options.invalidation, this.#near, {
            ...(options.lease !== undefined ? { lease: options.lease } : {}),
            onError: this.#onCacheError,
          })
        : localCoherence(this.#near);
      this.ready = this.#coherence.start();
      this.ready.catch(() => undefined); // reported to whoever awaits it; until then the cache is simply bypassed
    } else {
      this.ready = Promise.resolve();
    }
  }

  /** Near cache: entries held by this process (0 for a shared cache). */
  get nearSize(): number {
    return this.#near?.size ?? 0;
  }

  /** A near-cache hit while the lease says no invalidation can have been missed; undefined otherwise (then `get`). */
  peek(key: string, now: number): StoredSession | undefined {
    const near = this.#near;
    if (near === undefined || !this.#coherence?.serving) return undefined;
    return near.get(key, now) ?? undefined;
  }

  async get(key: string, now: number): Promise<StoredSession | null> {
    const near = this.#near;
    const c = this.#coherence;
    if (near && c) {
      if (c.serving) {
        const hit = near.get(key, now);
        if (hit) return hit;
      }
      const generation = c.generation;
      const r = await this.durable.get(key, now);
      // Only if no invalidation overtook this read, and the cache may serve at all.
      if (r && c.serving && c.generation === generation) near.set(key, r, now + this.cacheTtl);
      return r;
    }
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

  /** Decided by the durable store; the old key's cache entries then go as after a destroy. */
  async rotate(
    oldKey: string,
    newKey: string,
    session: StoredSession,
    now: number,
  ): Promise<RotateResult> {
    const result = await this.durable.rotate(oldKey, newKey, session, now);
    if (this.#coherence) await this.#coherence.invalidate({ keys: [oldKey] });
    else await this.#invalidate(oldKey, true);
    return result;
  }

  async patch(key: string, patch: SessionPatch, now: number): Promise<PatchResult> {
    const result = await this.durable.patch(key, patch, now);
    if (this.#coherence) {
      const changed = Object.keys(patch.set).length > 0 || patch.unset.length > 0;
      // A touch only moves the idle deadline: a copy elsewhere with the old one just expires early, then misses.
      if (result === "ok" && changed) await this.#coherence.invalidate({ keys: [key] });
      else this.#near?.drop(key);
      return result;
    }
    if (result !== "too_large") await this.#invalidate(key, false);
    return result;
  }

  async consumeField(key: string, field: string, value: string, now: number): Promise<boolean> {
    // Decided by the truth alone: a cached copy may still show a consumed field.
    if (!this.durable.consumeField) {
      throw new ConfigurationError(
        `tiered store: the durable ${this.durable.kind} store has no consumeField`,
      );
    }
    const taken = await this.durable.consumeField(key, field, value, now);
    // Invalidated like a patch, so no cached copy keeps showing the spent field.
    if (taken && this.#coherence) await this.#coherence.invalidate({ keys: [key] });
    else if (taken) await this.#invalidate(key, false);
    return taken;
  }

  async destroy(key: string): Promise<void> {
    await this.durable.destroy(key);
    if (this.#coherence) await this.#coherence.invalidate({ keys: [key] });
    else await this.#invalidate(key, true);
  }

  listByUser(userId: string, now: number): Promise<SessionSummary[]> {
    return this.durable.listByUser(userId, now); // the truth; listings are rare
  }

  async destroyByUser(userId: string, exceptKey?: string): Promise<number> {
    if (this.#coherence) {
      // Every process drops the user's entries by its own index of them,
      // whatever keys it learnt them under; the current one is refetched.
      const removed = await this.durable.destroyByUser(userId, exceptKey);
      await this.#coherence.invalidate({ users: [userId] });
      return removed;
    }
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

  /** Migrates both stores; the report is the durable store's (the cache's schema, if any, follows it). */
  async migrate(): Promise<MigrationResult[]> {
    const results = (await this.durable.migrate?.()) ?? [];
    await this.cache.migrate?.();
    return results;
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await this.#coherence?.close();
    this.#near?.clear();
    if (!this.#owns) return;
    await Promise.all([this.durable.close?.(), this.cache.close?.()]);
  }

  /** Cache failures are reported through the manager's logger, and both stores get it too. */
  useLogger(logger: Logger): void {
    this.#log.use(logger);
    this.durable.useLogger?.(logger);
    this.cache.useLogger?.(logger);
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

function rateLimitedWarn(clock: () => number, log: StoreLog): (err: unknown, op: string) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (err, op) => {
    if (clock() - last < 10_000) return;
    last = clock();
    log.warn(
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

export type { InvalidationBus } from "./bus.js";
export { createPostgresBus, type PostgresBusOptions } from "./bus-postgres.js";
export { createRedisBus, type RedisBusOptions } from "./bus-redis.js";
