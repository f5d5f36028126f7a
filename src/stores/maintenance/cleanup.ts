/**
 * Cleanup with a human watching: what `cloakroom-sessions cleanup <url>` runs. On a
 * terminal it redraws one progress line; elsewhere (CI, cron logs) it prints
 * a line every few seconds; at the end, a summary.
 */
import type { SessionStore } from "../../core/store.js";

/** The subset of a writable stream the progress display needs (process.stderr). */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface CleanupOptions {
  /** Expiry cut-off. @default Date.now() */
  now?: number;
  /** Rows per DELETE. @default 1000 */
  batchSize?: number;
  /** Stop after this many rows. */
  limit?: number;
  /** Where progress and the summary go; omit for silence. */
  out?: ProgressStream;
  /** Clock for the timings. @default performance.now */
  clock?: () => number;
}

export interface CleanupSummary {
  removed: number;
  seconds: number;
  rowsPerSecond: number;
}

/**
 * Purges expired sessions with progress and a summary.
 * @example
 * const { removed } = await runCleanup(store, { out: process.stderr });
 */
export async function runCleanup(
  store: SessionStore,
  options: CleanupOptions = {},
): Promise<CleanupSummary> {
  const clock = options.clock ?? (() => performance.now());
  const out = options.out;
  const start = clock();
  let lastPrint = start;
  const rate = (n: number, ms: number) => (ms > 0 ? Math.round((n * 1000) / ms) : n);
  // A store whose records expire by itself has nothing to purge.
  const purge = store.purgeExpired?.bind(store) ?? (async () => 0);
  const removed = await purge(options.now ?? Date.now(), {
    batchSize: options.batchSize ?? 1000,
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    onProgress: (n) => {
      if (!out) return;
      const t = clock();
      if (out.isTTY) {
        out.write(
          `\r\x1b[Kpurging expired sessions: ${n.toLocaleString("en")} removed (${rate(n, t - start).toLocaleString("en")}/s)`,
        );
      } else if (t - lastPrint >= 5000) {
        lastPrint = t;
        out.write(`purging expired sessions: ${n} removed\n`);
      }
    },
  });
  const ms = clock() - start;
  const summary = { removed, seconds: ms / 1000, rowsPerSecond: rate(removed, ms) };
  if (out) {
    if (out.isTTY) out.write("\r\x1b[K");
    out.write(
      `${store.kind}: removed ${removed.toLocaleString("en")} expired sessions in ${summary.seconds.toFixed(1)} s (${summary.rowsPerSecond.toLocaleString("en")} rows/s)\n`,
    );
  }
  return summary;
}
