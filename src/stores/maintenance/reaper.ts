/**
 * The opt-in in-process reaper: purges expired sessions on an interval, for
 * apps that do not schedule `cloakroom-sessions cleanup`. Off unless started. Runs
 * never overlap, the timer never keeps the process alive, and a failed run is
 * logged and retried at the next tick (the store may be down for a while).
 */
import type { Logger } from "../../core/options.js";
import type { SessionStore } from "../../core/store.js";

export interface ReaperOptions {
  /** Milliseconds between runs. @default 300000 (5 minutes) */
  interval?: number;
  /** Rows per DELETE. @default 1000 */
  batchSize?: number;
  /** Most rows one run removes, so a backlog is worked off over several ticks. @default 100000 */
  maxPerRun?: number;
  /** Where runs are reported (debug) and failures (warn). @default silent */
  logger?: Logger;
  /** Clock. @default Date.now */
  now?: () => number;
}

/**
 * Starts purging `store` every `interval` and returns `stop`, which clears
 * the timer and waits for a run in progress to finish.
 * With several app servers, each may run a reaper: batches are small and
 * idempotent, so they do not conflict (at worst they race for the same rows).
 * @example
 * const stop = startReaper(store, { interval: 60_000, logger: console });
 * process.on("SIGTERM", async () => { await stop(); await store.close(); });
 */
export function startReaper(store: SessionStore, options: ReaperOptions = {}): () => Promise<void> {
  const interval = options.interval ?? 300_000;
  const now = options.now ?? Date.now;
  const log = options.logger;
  const purge = store.purgeExpired?.bind(store);
  // Records that expire by themselves need no reaper.
  if (!purge) return async () => {};
  let running: Promise<void> | null = null;
  let stopped = false;

  const run = async () => {
    const started = now();
    try {
      const removed = await purge(started, {
        batchSize: options.batchSize ?? 1000,
        limit: options.maxPerRun ?? 100_000,
      });
      log?.debug("cloakroom reaper: purged expired sessions", {
        removed,
        ms: now() - started,
      });
    } catch (err) {
      log?.warn("cloakroom reaper: purge failed; retrying at the next tick", {
        error: (err as Error)?.message ?? String(err),
      });
    }
  };

  const timer = setInterval(() => {
    if (running || stopped) return;
    running = run().finally(() => {
      running = null;
    });
  }, interval);
  timer.unref?.();

  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
