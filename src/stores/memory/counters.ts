/**
 * Counters with a time to live, in this process: the memory store's
 * `increment`, and what login throttling falls back to over a store that has
 * none. Kept apart from sessions, so a flood of throttle counters can never
 * evict a session from the memory store's LRU. Bounded: past `max` counters
 * the expired ones go, then the oldest (a forgotten counter only ever lets
 * an attempt through that a remembered one would have delayed).
 */
export class MemoryCounters {
  readonly #counters = new Map<string, { value: number; expiresAt: number }>();
  readonly #max: number;

  constructor(max = 100_000) {
    this.#max = max;
  }

  get size(): number {
    return this.#counters.size;
  }

  increment(name: string, by: number, ttlMs: number, now: number): number {
    const c = this.#counters.get(name);
    if (c !== undefined && c.expiresAt > now) {
      c.value += by;
      return c.value;
    }
    this.#counters.delete(name);
    this.#counters.set(name, { value: by, expiresAt: now + ttlMs });
    if (this.#counters.size > this.#max) this.#shrink(now);
    return by;
  }

  reset(name: string): void {
    this.#counters.delete(name);
  }

  #shrink(now: number): void {
    for (const [k, c] of this.#counters) if (c.expiresAt <= now) this.#counters.delete(k);
    // Insertion order is creation order: the oldest windows go first.
    for (const k of this.#counters.keys()) {
      if (this.#counters.size <= this.#max) break;
      this.#counters.delete(k);
    }
  }
}
