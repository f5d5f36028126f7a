/**
 * In-process store for development and tests. Bounded: past `maxSessions`
 * the least recently used session is evicted. Expired records are swept on a
 * timer that never keeps the process alive. Not shared between processes, so
 * revocation reaches only this process: a warning says so under
 * NODE_ENV=production.
 */

import type { Logger } from "../../core/options.js";
import {
  isAlive as alive,
  type PatchResult,
  type PurgeOptions,
  type RotateResult,
  type SessionPatch,
  type SessionStore,
  type SessionSummary,
  type StoredSession,
  type StoreStats,
} from "../../core/store.js";
import { applyPatch, consumeField, summaryOf } from "../record-json.js";
import { StoreLog } from "../shared/store-log.js";
import { MemoryCounters } from "./counters.js";

export interface MemoryStoreOptions {
  /** Most sessions kept; the least recently used goes first. @default 10000 */
  maxSessions?: number;
  /** How often expired sessions are swept, ms; 0 disables the sweep. @default 60000 */
  sweepInterval?: number;
  /** Clock used by the sweep. @default Date.now */
  now?: () => number;
}

export class MemoryStore implements SessionStore {
  readonly kind = "memory";
  readonly capabilities = { shared: false } as const;
  readonly #sessions = new Map<string, StoredSession>();
  readonly #byUser = new Map<string, Set<string>>();
  readonly #counters = new MemoryCounters();
  readonly #max: number;
  readonly #log = new StoreLog();
  /** Set under NODE_ENV=production until the first write has warned that this store is per-process. */
  #warnProduction: boolean;
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    this.#max = options.maxSessions ?? 10_000;
    this.#now = options.now ?? Date.now;
    const every = options.sweepInterval ?? 60_000;
    if (every > 0) {
      this.#timer = setInterval(() => {
        void this.purgeExpired(this.#now());
      }, every);
      (this.#timer as { unref?: () => void }).unref?.();
    }
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
      ?.env;
    // Told at the first write rather than here, so that it goes through the manager's logger.
    this.#warnProduction = env?.NODE_ENV === "production";
  }

  /** Number of sessions held (live or not yet swept). */
  get size(): number {
    return this.#sessions.size;
  }

  async get(key: string, now: number): Promise<StoredSession | null> {
    return this.peek(key, now);
  }

  /** Everything is in memory: `get` without waiting, always an answer. */
  peek(key: string, now: number): StoredSession | null {
    const r = this.#sessions.get(key);
    if (!r) return null;
    if (!alive(r, now)) {
      this.#remove(key);
      return null;
    }
    // Re-insert to mark as most recently used.
    this.#sessions.delete(key);
    this.#sessions.set(key, r);
    return clone(r);
  }

  async create(key: string, session: StoredSession): Promise<void> {
    if (this.#warnProduction) {
      this.#warnProduction = false;
      this.#log.warn(
        "cloakroom: the memory store keeps sessions in this process only; use sqlite:, redis:// or postgres:// in production",
      );
    }
    this.#insert(key, session);
  }

  #insert(key: string, session: StoredSession): void {
    this.#remove(key);
    this.#sessions.set(key, clone(session));
    if (session.userId !== null) this.#index(session.userId).add(key);
    while (this.#sessions.size > this.#max) {
      const oldest = this.#sessions.keys().next().value as string;
      this.#remove(oldest);
    }
  }

  async patch(key: string, patch: SessionPatch, now: number): Promise<PatchResult> {
    const r = this.#sessions.get(key);
    if (!r || !alive(r, now)) return "missing";
    const { result, next } = applyPatch(r, patch);
    if (result === "ok") this.#sessions.set(key, next);
    return result;
  }

  async rotate(
    oldKey: string,
    newKey: string,
    session: StoredSession,
    now: number,
  ): Promise<RotateResult> {
    // No await between the check and the writes: atomic in one process.
    const r = this.#sessions.get(oldKey);
    if (!r || !alive(r, now)) return "missing";
    this.#remove(oldKey);
    this.#insert(newKey, session);
    return "ok";
  }

  async consumeField(key: string, field: string, value: string, now: number): Promise<boolean> {
    // No await between the read and the write: atomic in one process.
    const r = this.#sessions.get(key);
    if (!r || !alive(r, now)) return false;
    const next = consumeField(r, field, value);
    if (next === null) return false;
    this.#sessions.set(key, next);
    return true;
  }

  async destroy(key: string): Promise<void> {
    this.#remove(key);
  }

  async listByUser(userId: string, now: number): Promise<SessionSummary[]> {
    const out: SessionSummary[] = [];
    for (const key of this.#byUser.get(userId) ?? []) {
      const r = this.#sessions.get(key);
      if (r && alive(r, now)) out.push(summaryOf(key, userId, r));
    }
    return out;
  }

  async destroyByUser(userId: string, exceptKey?: string): Promise<number> {
    let n = 0;
    for (const key of [...(this.#byUser.get(userId) ?? [])]) {
      if (key === exceptKey) continue;
      if (this.#remove(key)) n++;
    }
    return n;
  }

  async purgeExpired(now: number, options: PurgeOptions = {}): Promise<number> {
    let n = 0;
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    for (const [key, r] of this.#sessions) {
      if (n >= limit) break;
      if (!alive(r, now) && this.#remove(key)) n++;
    }
    options.onProgress?.(n);
    return n;
  }

  async increment(name: string, by: number, ttlMs: number, now: number): Promise<number> {
    return this.#counters.increment(name, by, ttlMs, now);
  }

  async resetCounter(name: string): Promise<void> {
    this.#counters.reset(name);
  }

  async stats(now: number): Promise<StoreStats> {
    let live = 0;
    for (const r of this.#sessions.values()) if (alive(r, now)) live++;
    return { live, expired: this.#sessions.size - live, users: this.#byUser.size };
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The production warning goes through the manager's logger. */
  useLogger(logger: Logger): void {
    this.#log.use(logger);
  }

  #index(userId: string): Set<string> {
    let set = this.#byUser.get(userId);
    if (!set) {
      set = new Set();
      this.#byUser.set(userId, set);
    }
    return set;
  }

  #remove(key: string): boolean {
    const r = this.#sessions.get(key);
    if (!r) return false;
    this.#sessions.delete(key);
    if (r.userId !== null) {
      const set = this.#byUser.get(r.userId);
      set?.delete(key);
      if (set?.size === 0) this.#byUser.delete(r.userId);
    }
    return true;
  }
}

/** Copies so that callers never share objects with the store (as with any real backend). */
function clone(r: StoredSession): StoredSession {
  return { ...r, data: { ...r.data } };
}

/** A bounded in-process store. @example createMemoryStore({ maxSessions: 1000 }) */
export function createMemoryStore(options?: MemoryStoreOptions): MemoryStore {
  return new MemoryStore(options);
}
