/**
 * The JSON form of a {@link StoredSession} for stores that keep a whole
 * record as one value (file, Memcached), and the shared rules those stores
 * apply to it: decoding, patching, listing.
 *
 * Decoding validates every field: a truncated, hand-edited or old-format
 * value is "no session" (REL-48), never a crash or a half-typed object.
 */
import { encodedSize } from "../core/codec.js";
import type { PatchResult, SessionPatch, SessionSummary, StoredSession } from "../core/store.js";

/** One line of JSON; `v` versions the format so it can change without a flag day. */
export function encodeRecord(r: StoredSession): string {
  return JSON.stringify({ v: 1, ...r });
}

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isStrOrNull = (v: unknown): v is string | null => v === null || typeof v === "string";

/** The record in `text`, or null when it is not a valid version-1 record. */
export function decodeRecord(text: string): StoredSession | null {
  let raw: unknown;
  try {
    // JSON.parse defines "__proto__" as an own property, it never sets a prototype.
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const data = r.data;
  if (r.v !== 1 || data === null || typeof data !== "object" || Array.isArray(data)) return null;
  for (const v of Object.values(data)) if (typeof v !== "string") return null;
  if (!isStrOrNull(r.userId) || !isStrOrNull(r.ip) || !isStrOrNull(r.userAgent)) return null;
  if (!isNum(r.createdAt) || !isNum(r.lastSeenAt)) return null;
  if (!isNum(r.idleExpiresAt) || !isNum(r.absoluteExpiresAt)) return null;
  return {
    data: { ...(data as Record<string, string>) },
    userId: r.userId,
    createdAt: r.createdAt,
    lastSeenAt: r.lastSeenAt,
    idleExpiresAt: r.idleExpiresAt,
    absoluteExpiresAt: r.absoluteExpiresAt,
    ip: r.ip,
    userAgent: r.userAgent,
  };
}

/** True when the patch only moves the deadlines (the manager's touch). */
export function isTouchOnly(patch: SessionPatch): boolean {
  return patch.unset.length === 0 && Object.keys(patch.set).length === 0;
}

/**
 * Applies a patch to a copy of a live record. Spreads, never `data[k] = v`:
 * assigning "__proto__" would set the object's prototype instead of a key.
 * A touch leaves the data alone and so is never too large.
 */
export function applyPatch(
  r: StoredSession,
  patch: SessionPatch,
): { result: Exclude<PatchResult, "missing">; next: StoredSession } {
  let data = r.data;
  if (!isTouchOnly(patch)) {
    data = { ...r.data, ...patch.set };
    for (const k of patch.unset) delete data[k];
    if (encodedSize(data) > patch.maxBytes) return { result: "too_large", next: r };
  }
  const next = { ...r, data };
  if (patch.touch) {
    next.lastSeenAt = patch.touch.lastSeenAt;
    next.idleExpiresAt = Math.min(patch.touch.idleExpiresAt, r.absoluteExpiresAt);
  }
  return { result: "ok", next };
}

/**
 * The record without `field` when that field holds the JSON string `value`
 * (see `SessionStore.consumeField`), else null. Compared decoded, so two
 * spellings of one string (`"\u0061"` and `"a"`) are the same value.
 */
export function consumeField(r: StoredSession, field: string, value: string): StoredSession | null {
  const text = Object.hasOwn(r.data, field) ? r.data[field] : undefined;
  if (text === undefined || !holdsString(text, value)) return null;
  const data: Record<string, string> = { ...r.data };
  delete data[field];
  return { ...r, data };
}

function holdsString(text: string, value: string): boolean {
  try {
    return JSON.parse(text) === value;
  } catch {
    return false; // a corrupt field holds no value at all
  }
}

/** The listing form of a record (no data). */
export function summaryOf(key: string, userId: string, r: StoredSession): SessionSummary {
  return {
    key,
    userId,
    createdAt: r.createdAt,
    lastSeenAt: r.lastSeenAt,
    idleExpiresAt: r.idleExpiresAt,
    absoluteExpiresAt: r.absoluteExpiresAt,
    ip: r.ip,
    userAgent: r.userAgent,
  };
}
