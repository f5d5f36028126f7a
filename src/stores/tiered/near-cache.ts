/**
 * The per-process near cache of the tiered store: decoded records in a Map,
 * so a hit costs no store round trip and no decoding. It is only ever read
 * while the {@link Coherence} lease says this process cannot have missed an
 * invalidation; everything here is about dropping entries fast (by key, by
 * user, all) and never filling one that an invalidation overtook.
 */
import { isAlive, type StoredSession } from "../../core/store.js";

interface Entry {
  record: StoredSession;
  /** Cache deadline (the `cacheTtl` safety net), ms since the epoch. */
  until: number;
}

export class NearCache {
  readonly #entries = new Map<string, Entry>();
  readonly #byUser = new Map<string, Set<string>>();
  readonly #max: number;

  constructor(maxEntries: number) {
    this.#max = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** A copy of the cached record, or null (absent, past `cacheTtl`, or expired at `now`). */
  get(key: string, now: number): StoredSession | null {
    const e = this.#entries.get(key);
    if (!e) return null;
    if (e.until <= now || !isAlive(e.record, now)) {
      this.drop(key);
      return null;
    }
    // A copy: the caller may keep or change what it gets; the entry must not change with it.
    return { ...e.record, data: { ...e.record.data } };
  }

  set(key: string, record: StoredSession, until: number): void {
    this.drop(key);
    this.#entries.set(key, { record: { ...record, data: { ...record.data } }, until });
    if (record.userId !== null) {
      const keys = this.#byUser.get(record.userId) ?? new Set<string>();
      this.#byUser.set(record.userId, keys);
      keys.add(key);
    }
    // Insertion order is age order: the oldest fill goes first (cheap and good enough for a cache whose entries live seconds).
    while (this.#entries.size > this.#max) {
      this.drop(this.#entries.keys().next().value as string);
    }
  }

  drop(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    this.#entries.delete(key);
    const user = e.record.userId;
    if (user === null) return;
    const keys = this.#byUser.get(user);
    keys?.delete(key);
    if (keys?.size === 0) this.#byUser.delete(user);
  }

  /** Drops every session of the user, whatever key this process learnt it under. */
  dropUser(userId: string): void {
    for (const key of [...(this.#byUser.get(userId) ?? [])]) this.drop(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#byUser.clear();
  }
}
