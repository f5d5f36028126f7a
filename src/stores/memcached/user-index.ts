/**
 * The per-user index of the Memcached store: one value per user listing the
 * keys of their sessions, each with its absolute deadline (to drop it when it
 * is surely dead, without a read) and when it was added (so a member whose
 * session is not written yet is not pruned as dead: create writes the index
 * first, then the session).
 */
import { isStoreKey } from "../../core/store.js";

export type IndexEntry = [absoluteExpiresAt: number, addedAt: number];
export type UserIndex = Map<string, IndexEntry>;

/** How long a member may point to a missing session before it is pruned, ms: far above any write's time. */
export const PRUNE_GRACE = 30_000;

export function decodeIndex(text: string | undefined): UserIndex {
  const out: UserIndex = new Map();
  if (text === undefined) return out;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return out; // corrupt: rebuilt from the next writes; sessions themselves are untouched
  }
  const keys = (raw as { keys?: unknown } | null)?.keys;
  if (keys === null || typeof keys !== "object") return out;
  for (const [k, v] of Object.entries(keys)) {
    if (!isStoreKey(k) || !Array.isArray(v)) continue;
    const [abs, added] = v as unknown[];
    if (typeof abs === "number" && typeof added === "number") out.set(k, [abs, added]);
  }
  return out;
}

export function encodeIndex(index: UserIndex): string {
  return JSON.stringify({ v: 1, keys: Object.fromEntries(index) });
}

/** Drops members past their absolute deadline: their sessions are dead whatever happened. */
export function dropExpired(index: UserIndex, clock: number): void {
  for (const [k, [abs]] of index) if (abs <= clock) index.delete(k);
}

/** The index lives as long as its longest-lived member. */
export function lastDeadline(index: UserIndex): number {
  let max = 0;
  for (const [abs] of index.values()) max = Math.max(max, abs);
  return max;
}
