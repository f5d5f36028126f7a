/**
 * A counting semaphore with a bounded queue: at most `max` tasks run, at
 * most `maxQueue` wait, and the next one is refused at once with the error
 * `overflow` builds. Used to keep password hashing from eating every core.
 */
export class Gate {
  readonly #max: number;
  readonly #maxQueue: number;
  readonly #overflow: (waiting: number) => Error;
  readonly #waiting: (() => void)[] = [];
  #active = 0;

  constructor(max: number, maxQueue: number, overflow: (waiting: number) => Error) {
    this.#max = max;
    this.#maxQueue = maxQueue;
    this.#overflow = overflow;
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#max) {
      if (this.#waiting.length >= this.#maxQueue) throw this.#overflow(this.#waiting.length);
      // The slot is handed over by the finishing task, so #active never dips and over-admits.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#active++;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}
