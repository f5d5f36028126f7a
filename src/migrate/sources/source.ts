/**
 * The old store, read the way its library wrote it. Each source gives the
 * takeover one atomic "read and remove" (`take`), so when two requests carry
 * the same old cookie exactly one of them gets the record; the import reads
 * pages (`scan`) and never removes.
 */
import type { RawRecord } from "../convert.js";

export interface ScanPage {
  items: { sid: string; raw: RawRecord }[];
  /** Where the next page starts, or null when this was the last one. */
  cursor: string | null;
}

export interface LegacySource {
  /** For messages, e.g. `"redis"`. */
  readonly kind: string;
  /** Reads and removes the record in one atomic step: of concurrent callers, one gets it. Null when absent. */
  take(sid: string): Promise<RawRecord | null>;
  /** Puts back a record `take` removed (the Cloakroom store refused the copy). */
  restore(sid: string, raw: RawRecord): Promise<void>;
  /** One page of records from `cursor` (null: the start). Restartable from any cursor it returned. */
  scan(cursor: string | null, count: number): Promise<ScanPage>;
  close(): Promise<void>;
}

/** Rejects after `ms` with a plain Error: the manager reports it as a store failure (503). */
export function withTimeout<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
