/**
 * Where a store reports what happens outside any call (a failed background
 * sweep, a connection error, a cache failure): the logger of the manager that
 * uses it, handed over through `SessionStore.useLogger`. Until a manager does,
 * or for a store used on its own, the console. A store holds one `StoreLog`
 * and passes it to the parts that report, so a logger given later reaches them.
 */
import type { Logger } from "../../core/options.js";

const CONSOLE: Logger = {
  debug: () => {},
  warn: (message, meta) =>
    meta === undefined ? console.warn(message) : console.warn(message, meta),
  error: (message, meta) =>
    meta === undefined ? console.error(message) : console.error(message, meta),
};

export class StoreLog implements Logger {
  #logger: Logger = CONSOLE;

  /** From now on, report through `logger` (the latest manager's, when several share the store). */
  use(logger: Logger): void {
    this.#logger = logger;
  }

  debug(message: string, meta?: Record<string, unknown>): void {
    this.#logger.debug(message, meta);
  }

  warn(message: string, meta?: Record<string, unknown>): void {
    this.#logger.warn(message, meta);
  }

  error(message: string, meta?: Record<string, unknown>): void {
    this.#logger.error(message, meta);
  }
}
