/**
 * How a session sits in the cache tier. The cache is an ordinary store, so
 * the entry is a StoredSession, with two changes:
 * - its idle deadline is cut to the end of the cache TTL, so the cache drops
 *   it then (by its own expiry checks and native TTLs);
 * - it carries no `userId`, so the cache keeps no per-user index: a fill is
 *   one write, even on Memcached where an index update is a CAS round trip.
 *   Revoking a user lists their keys in the durable store instead.
 * The true idle deadline and user ride along in a reserved field and are put
 * back on a hit.
 */
import type { StoredSession } from "../../core/store.js";

/** Reserved: keys starting with `$` belong to Cloakroom, never to the app. */
const TRUE = "$tiered";

/** The cache form of `r`, filled at `now`, living at most `ttl` ms. */
export function toCacheEntry(r: StoredSession, now: number, ttl: number): StoredSession {
  return {
    ...r,
    data: { ...r.data, [TRUE]: JSON.stringify({ idle: r.idleExpiresAt, user: r.userId }) },
    userId: null,
    idleExpiresAt: Math.min(r.idleExpiresAt, r.absoluteExpiresAt, now + ttl),
  };
}

/** The session a cache entry stands for, or null when it is not one of our entries. */
export function fromCacheEntry(entry: StoredSession): StoredSession | null {
  const { [TRUE]: extra, ...data } = entry.data;
  if (extra === undefined) return null;
  let parsed: { idle?: unknown; user?: unknown };
  try {
    parsed = JSON.parse(extra) as typeof parsed;
  } catch {
    return null;
  }
  const { idle, user } = parsed ?? {};
  if (typeof idle !== "number" || !(user === null || typeof user === "string")) return null;
  return { ...entry, data, userId: user, idleExpiresAt: idle };
}
