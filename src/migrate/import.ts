/**
 * The bulk path for a planned cut-over: every record of the old store,
 * converted exactly as the live takeover converts it, written under the
 * same derived key, so a user arriving later with the old cookie finds the
 * imported session (and claims it) instead of being logged out.
 * Page by page, restartable from the cursor of any finished page; the old
 * store is only read.
 */
import type { SessionStore } from "../core/store.js";
import { storeKeyOf } from "../core/token.js";
import { convertRecord, type SkipReason } from "./convert.js";
import type { LegacyFormat } from "./old-cookie.js";
import type { LegacySource } from "./sources/index.js";
import { secretForLegacyId } from "./takeover.js";

export type ImportSkipReason = SkipReason | "exists";

export interface ImportCounts {
  /** Old records read. */
  scanned: number;
  /** Written to the Cloakroom store (or that would be, in a dry run). */
  imported: number;
  /** Not written, by reason. `exists`: already taken over by a live request. */
  skipped: Record<ImportSkipReason, number>;
}

export interface ImportResult {
  counts: ImportCounts;
  /** Where to resume, or null when the whole old store was read. */
  cursor: string | null;
}

export interface ImportOptions {
  format: LegacyFormat;
  userKeys: readonly string[];
  /** HMAC-SHA256 under the app's first secret (the same derivation the live takeover uses). */
  derive(label: string): string | Promise<string>;
  idleTimeout: number;
  absoluteTimeout: number;
  maxBytes: number;
  /** Read and convert, write nothing. */
  dryRun?: boolean;
  /** Records per page. @default 500 */
  batchSize?: number;
  /** Writes in flight at once. @default 32 */
  concurrency?: number;
  /** Stop after the page that brings this run's reads to `limit` (resume later from the cursor). */
  limit?: number;
  /** Resume: the cursor of the last finished page, and the counts so far. */
  resume?: { cursor: string | null; counts: ImportCounts };
  /** After each finished page: the cursor to resume from (null: done) and the running counts. */
  onPage?(cursor: string | null, counts: ImportCounts): void | Promise<void>;
  now?: () => number;
}

export function emptyCounts(): ImportCounts {
  return {
    scanned: 0,
    imported: 0,
    skipped: { expired: 0, undecodable: 0, too_large: 0, empty: 0, exists: 0 },
  };
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export async function importSessions(
  source: LegacySource,
  /** Null only for a dry run. */
  store: SessionStore | null,
  o: ImportOptions,
): Promise<ImportResult> {
  if (store === null && !o.dryRun)
    throw new TypeError("importSessions: a store is needed unless dryRun");
  const counts = o.resume ? structuredClone(o.resume.counts) : emptyCounts();
  const now = o.now ?? Date.now;
  const batchSize = o.batchSize ?? 500;
  let cursor = o.resume ? o.resume.cursor : null;
  if (o.resume && cursor === null) return { counts, cursor }; // the checkpoint says it finished
  const startScanned = counts.scanned;
  do {
    const page = await source.scan(cursor, batchSize);
    await pool(page.items, o.concurrency ?? 32, async ({ sid, raw }) => {
      counts.scanned++;
      const at = now();
      const converted = convertRecord(raw, {
        now: at,
        idleTimeout: o.idleTimeout,
        absoluteTimeout: o.absoluteTimeout,
        maxBytes: o.maxBytes,
        userKeys: o.userKeys,
        ip: null,
        userAgent: null,
        legacy: { importedAt: at },
      });
      if (!converted.ok) {
        counts.skipped[converted.reason]++;
        return;
      }
      if (o.dryRun || store === null) {
        counts.imported++;
        return;
      }
      const key = await keyFor(o, sid);
      // Never overwrite a session a live request already took over (and may have changed since).
      if ((await store.get(key, at)) !== null) {
        counts.skipped.exists++;
        return;
      }
      await store.create(key, converted.record);
      counts.imported++;
    });
    cursor = page.cursor;
    await o.onPage?.(cursor, counts);
    if (o.limit !== undefined && counts.scanned - startScanned >= o.limit) break;
  } while (cursor !== null);
  return { counts, cursor };
}

async function keyFor(o: ImportOptions, sid: string): Promise<string> {
  return storeKeyOf(await secretForLegacyId(o, o.format, sid));
}
