/**
 * Rows in, records out. Shared by every dialect so that a session reads back
 * the same from SQLite, PostgreSQL and MySQL.
 */
import type { SessionSummary, StoredSession } from "../../core/store.js";
import type { SqlRow } from "./types.js";

/**
 * Columns every SELECT returns, by these aliases. `data` is selected as JSON
 * text (never a driver-parsed object: pg and mysql2 parse JSON with their own
 * rules, and a user's pool may have custom type parsers).
 */
export const SUMMARY_COLUMNS = [
  "user_id",
  "created_at",
  "last_seen_at",
  "idle_expires_at",
  "absolute_expires_at",
  "ip",
  "user_agent",
] as const;

/**
 * The columns of a record selected as one JSON array (`SqlFlavor.selectRecord`),
 * in this order: the document, then {@link SUMMARY_COLUMNS}.
 */
export const RECORD_COLUMNS = ["data", ...SUMMARY_COLUMNS] as const;

/**
 * JSON text of an object whose members are already JSON text. Built by
 * concatenation, not JSON.parse/stringify, so values pass through byte for
 * byte and a `__proto__` key stays an ordinary member.
 */
export function objectText(fields: Readonly<Record<string, string>>): string {
  const parts: string[] = [];
  for (const k of Object.keys(fields)) parts.push(`${JSON.stringify(k)}:${fields[k]}`);
  return `{${parts.join(",")}}`;
}

/**
 * Splits a stored document into key → JSON text of the value. JSON.parse
 * (without reviver) creates `__proto__` as an own member, never a prototype;
 * the result has no prototype either (as the Redis store's), so plain
 * assignment keeps such a key plain data, without a defineProperty per key.
 */
export function splitDocument(text: unknown): Record<string, string> {
  const doc: unknown = typeof text === "string" ? JSON.parse(text) : text;
  const out = Object.create(null) as Record<string, string>;
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return out;
  const members = doc as Record<string, unknown>;
  for (const k of Object.keys(members)) out[k] = JSON.stringify(members[k]);
  return out;
}

/** BIGINT milliseconds as a number, whether the driver gave a number, a string or a bigint. */
export function millis(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === "string" ? value : String(value);
}

export function toStoredSession(row: SqlRow): StoredSession {
  if (row.record !== undefined) return fromRecord(row.record);
  return {
    data: splitDocument(row.data),
    userId: text(row.user_id),
    createdAt: millis(row.created_at),
    lastSeenAt: millis(row.last_seen_at),
    idleExpiresAt: millis(row.idle_expires_at),
    absoluteExpiresAt: millis(row.absolute_expires_at),
    ip: text(row.ip),
    userAgent: text(row.user_agent),
  };
}

/** A record selected as one JSON array ({@link RECORD_COLUMNS}); numbers arrive as JSON numbers. */
function fromRecord(record: unknown): StoredSession {
  const r: unknown = typeof record === "string" ? JSON.parse(record) : record;
  if (!Array.isArray(r) || r.length !== RECORD_COLUMNS.length) {
    throw new TypeError("a session record is not the array of its columns");
  }
  return {
    data: splitDocument(r[0]),
    userId: text(r[1]),
    createdAt: millis(r[2]),
    lastSeenAt: millis(r[3]),
    idleExpiresAt: millis(r[4]),
    absoluteExpiresAt: millis(r[5]),
    ip: text(r[6]),
    userAgent: text(r[7]),
  };
}

export function toSummary(row: SqlRow): SessionSummary {
  return {
    key: String(row.token_hash),
    userId: String(row.user_id),
    createdAt: millis(row.created_at),
    lastSeenAt: millis(row.last_seen_at),
    idleExpiresAt: millis(row.idle_expires_at),
    absoluteExpiresAt: millis(row.absolute_expires_at),
    ip: text(row.ip),
    userAgent: text(row.user_agent),
  };
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The first key whose name or value a SQL database cannot store, or null.
 * Lone surrogates have no UTF-8 form: MySQL and MariaDB turn the whole
 * document into NULL, PostgreSQL refuses it. PostgreSQL's jsonb also refuses
 * U+0000 anywhere (`rejectNul`). JSON.stringify writes both as `\u` escapes,
 * so values without a `\u` skip the check entirely.
 */
export function findUnstorable(
  fields: Readonly<Record<string, string>>,
  rejectNul: boolean,
): string | null {
  const bad = (s: string) => LONE_SURROGATE.test(s) || (rejectNul && s.includes("\u0000"));
  for (const k of Object.keys(fields)) {
    if (bad(k)) return k;
    const v = fields[k]!;
    if (v.includes("\\u") && hasBadString(decode(v), bad)) return k;
  }
  return null;
}

function decode(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // not JSON: the database refuses it with its own error
  }
}

function hasBadString(value: unknown, bad: (s: string) => boolean): boolean {
  if (typeof value === "string") return bad(value);
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some((v) => hasBadString(v, bad));
  return Object.entries(value).some(([k, v]) => bad(k) || hasBadString(v, bad));
}
