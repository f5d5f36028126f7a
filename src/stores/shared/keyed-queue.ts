/**
 * Runs async operations one at a time per key, in arrival order; different
 * keys run in parallel. Stores whose backend has no atomic field update (a
 * file, a Memcached value) use it so that read-modify-write cycles in one
 * process never overlap: no lost updates, and a destroy queued behind a patch
 * is never undone by it (session-file-store PR #55).
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `fn` after every earlier operation on `key` has settled; resolves or rejects as `fn` does. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key);
    const result = prev === undefined ? fn() : prev.then(fn);
    // The tail only orders the next operation; `result` carries the outcome
    // (and any error) to the caller, so the tail settles quietly.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Keys with an operation queued or running (for tests and metrics). */
  get size(): number {
    return this.#tails.size;
  }
}
