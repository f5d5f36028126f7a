/**
 * One old record → one Cloakroom record, the same way for the live takeover
 * and the bulk import: top-level keys become fields, the old library's
 * `cookie` object is dropped, the user id comes from the first configured
 * path that holds one, the old expiry becomes the idle deadline (never past
 * our absolute limit), created-at is now.
 */
import { byteLength, checkKey, decodeValue, encodeValue, isForbiddenKey } from "../core/codec.js";
import type { StoredSession } from "../core/store.js";

/** A record as the old store holds it. */
export interface RawRecord {
  /** The JSON text the old store kept. */
  text: string;
  /** The store's own expiry (Redis TTL, the `expire` column), ms since epoch, or null. */
  expiresAt: number | null;
}

export interface ConvertOptions {
  now: number;
  idleTimeout: number;
  absoluteTimeout: number;
  maxBytes: number;
  /** Dotted paths tried in order for the user id. */
  userKeys: readonly string[];
  ip: string | null;
  userAgent: string | null;
  /** Written as the `$legacy` metadata, so a later request can tell how the record came. */
  legacy: { claimedAt: number } | { importedAt: number };
}

export type SkipReason = "expired" | "undecodable" | "too_large" | "empty";

export type Converted = { ok: true; record: StoredSession } | { ok: false; reason: SkipReason };

/** Keys the old libraries keep for themselves. */
const DROPPED = new Set(["cookie", "__lastAccess"]);

export const DEFAULT_USER_KEYS = ["passport.user", "userId", "user_id"] as const;

export function convertRecord(raw: RawRecord, o: ConvertOptions): Converted {
  // The JSON text is never smaller than the fields it encodes: a text far past
  // the limit is refused before JSON.parse spends time on it.
  if (raw.text.length > o.maxBytes * 4 + 4096) return { ok: false, reason: "too_large" };
  const parsed = decodeValue(raw.text);
  if (
    parsed === undefined ||
    parsed === null ||
    typeof parsed !== "object" ||
    Array.isArray(parsed)
  )
    return { ok: false, reason: "undecodable" };
  const old = parsed as Record<string, unknown>;

  const cookie = old.cookie as { expires?: unknown } | undefined;
  const cookieExpiry =
    cookie && typeof cookie === "object" && typeof cookie.expires === "string"
      ? Date.parse(cookie.expires)
      : Number.NaN;
  const oldExpiry = Number.isFinite(cookieExpiry)
    ? cookieExpiry
    : (raw.expiresAt ?? o.now + o.idleTimeout);
  if (oldExpiry <= o.now) return { ok: false, reason: "expired" };

  const data: Record<string, string> = Object.create(null);
  let size = 0;
  for (const key of Object.keys(old)) {
    // `$` keys are Cloakroom's; `__proto__`, `constructor`, `prototype` never become keys
    // (JSON.parse made `__proto__` an own property; the reviver dropped nested ones).
    if (DROPPED.has(key) || key.startsWith("$") || isForbiddenKey(key)) continue;
    try {
      checkKey(key);
      const text = encodeValue(old[key], key);
      data[key] = text;
      size += byteLength(key) + byteLength(text);
    } catch {
      return { ok: false, reason: "undecodable" };
    }
  }
  if (size > o.maxBytes) return { ok: false, reason: "too_large" };
  const userId = userIdOf(old, o.userKeys);
  if (size === 0 && userId === null) return { ok: false, reason: "empty" };

  // A cookie with an expiry was persistent in the old app: keep it persistent.
  if (Number.isFinite(cookieExpiry)) data.$persistent = "true";
  data.$legacy = JSON.stringify(o.legacy);
  const absoluteExpiresAt = o.now + o.absoluteTimeout;
  return {
    ok: true,
    record: {
      data: { ...data },
      userId,
      createdAt: o.now,
      lastSeenAt: o.now,
      idleExpiresAt: Math.min(oldExpiry, absoluteExpiresAt),
      absoluteExpiresAt,
      ip: o.ip,
      userAgent: o.userAgent,
    },
  };
}

function userIdOf(old: Record<string, unknown>, paths: readonly string[]): string | null {
  for (const path of paths) {
    let v: unknown = old;
    for (const part of path.split(".")) {
      if (v === null || typeof v !== "object" || !Object.hasOwn(v, part)) {
        v = undefined;
        break;
      }
      v = (v as Record<string, unknown>)[part];
    }
    if (typeof v === "number" && Number.isFinite(v)) return String(v);
    if (typeof v === "string" && v.length > 0 && v.length <= 200) return v;
  }
  return null;
}
