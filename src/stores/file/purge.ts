/**
 * The file store's purge: a streamed scan of the sessions directory in
 * bounded batches, and the sweep of files a crash left behind.
 */
import { opendir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { PurgeOptions } from "../../core/store.js";
import { errno, unlinkIfExists } from "./fs-ops.js";

/**
 * Calls `visit` for each entry of `dir`, `batchSize` at a time, reporting the
 * running count of entries it removed after each batch. `opendir` streams
 * entries: a directory of a million sessions is never listed in memory at once.
 * A missing directory has nothing to purge.
 */
export async function scanInBatches(
  dir: string,
  options: PurgeOptions,
  visit: (name: string) => Promise<boolean>,
): Promise<number> {
  const batchSize = Math.max(1, options.batchSize ?? 1000);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let removed = 0;
  let batch: string[] = [];
  const flush = async () => {
    for (const name of batch) {
      if (removed >= limit) break;
      if (await visit(name)) removed++;
    }
    batch = [];
    options.onProgress?.(removed);
  };
  const entries = await opendir(dir).catch((err: unknown) => {
    if (errno(err) !== "ENOENT") throw err;
    return [];
  });
  for await (const entry of entries) {
    if (removed >= limit) break;
    batch.push(entry.name);
    if (batch.length >= batchSize) await flush();
  }
  if (batch.length > 0 || removed === 0) await flush();
  return removed;
}

/** Removes a temp or lock file (`.name.tmp`, `.name.lock`) older than `staleMs`: a crash's leftover. */
export async function sweepLeftover(dir: string, name: string, staleMs: number): Promise<void> {
  if (!name.startsWith(".") || !(name.endsWith(".tmp") || name.endsWith(".lock"))) return;
  const path = join(dir, name);
  const st = await stat(path).catch((err: unknown) => {
    if (errno(err) === "ENOENT") return null; // finished meanwhile
    throw err;
  });
  if (st && Date.now() - st.mtimeMs > staleMs) await unlinkIfExists(path);
}
