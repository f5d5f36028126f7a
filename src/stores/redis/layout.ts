/**
 * How a session sits in Redis: one hash per session, one field per top-level
 * data key plus a few one-letter metadata fields, so that a patch writes only
 * the fields it changes and two requests touching different keys never
 * overwrite each other (CONTRACT §2, "field-level").
 *
 * Bytes per session are a headline figure, and Redis charges per key a fixed
 * ~90 B (robj, dict entry, key string) before any data. So the layout is small
 * on purpose, and every choice below was measured with `MEMORY USAGE` on
 * Redis 7.0 (docs/redis.md has the table):
 *
 * - Redis key: `<prefix><first 22 chars of the store key>`. The store key is
 *   SHA-256 of the token in base64url; its first 22 characters are 132 bits of
 *   that hash, still one-way, and a collision needs ~2^66 live sessions. It
 *   brings the key string from the 56 B to the 32 B allocation class.
 * - `t`: the four times in one field, in base 64, later ones as deltas
 *   (`created.lastSeen-created.idle-lastSeen.absolute-created`): 20 bytes
 *   with the default timeouts, instead of four 13-digit fields. With it a cart
 *   session's listpack fits the 48 B allocation class (measured: 168 → 120 B).
 * - `u` user id, `p` IP, `g` user agent: present only when not null.
 * - `s`: the running size of the data fields (encodedSize of codec.ts),
 *   kept by the scripts so a patch checks the size limit by reading only
 *   the fields it replaces (scripts.ts PATCH) — from SIZE_FIELD_FROM bytes
 *   of data on. A smaller session is summed by each patch (a few fields:
 *   cheaper than the 16 bytes `s` would add to every such session, which
 *   would move a cart session from 120 to 136 B). Records written before
 *   `s` existed lack it too, and get it from their first large-enough patch.
 * - Data fields: `:` + key, so no data key can collide with a metadata field.
 * - A value longer than 64 bytes (`hash-max-listpack-value`) turns the whole
 *   hash from a compact listpack into a hashtable, 2.5× the memory
 *   (measured: 264 → 649 B). User agents usually are longer, so `g` is cut
 *   into pieces of at most 64 bytes: `g`, `g1`, `g2`…
 */
import type { StoredSession } from "../../core/store.js";

/** Data fields start with this character. Metadata fields never do. */
export const DATA = ":";
/** Characters of the store key kept in the Redis key (see above). */
export const KEY_CHARS = 22;
/** Data size (bytes, encodedSize) from which a session keeps its running size in `s`. */
export const SIZE_FIELD_FROM = 512;
/** Longest value that keeps a hash in listpack encoding with Redis defaults. */
const PIECE_BYTES = 64;

/** The Redis key of a session. */
export function sessionKey(prefix: string, storeKey: string): string {
  return prefix + storeKey.slice(0, KEY_CHARS);
}

/** The Redis key of a user's index: a sorted set of store keys scored by absolute deadline. */
export function userKey(prefix: string, userId: string): string {
  // `u:` cannot begin a session key: store keys are base64url and have no colon.
  return `${prefix}u:${userId}`;
}

/** The Redis key of a counter (login throttling): `n:` cannot begin a session key either. */
export function counterKey(prefix: string, name: string): string {
  return `${prefix}n:${name}`;
}

/**
 * Digits of the base-64 numbers in `t`: neither `.` (the separator) nor `-`
 * (the sign). scripts.ts decodes and encodes them the same way in Lua.
 */
export const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_~";

function toDigits(n: number): string {
  if (n < 0) return `-${toDigits(-n)}`;
  let s = "";
  do {
    s = DIGITS[n % 64] + s;
    n = Math.floor(n / 64);
  } while (n > 0);
  return s;
}

function fromDigits(text: string): number {
  const neg = text.startsWith("-");
  let n = 0;
  for (const ch of neg ? text.slice(1) : text) {
    const d = DIGITS.indexOf(ch);
    if (d < 0) return Number.NaN;
    n = n * 64 + d;
  }
  return text.length > (neg ? 1 : 0) ? (neg ? -n : n) : Number.NaN;
}

/** `t` field text: whole milliseconds (times are rounded). */
export function encodeTimes(r: {
  createdAt: number;
  lastSeenAt: number;
  idleExpiresAt: number;
  absoluteExpiresAt: number;
}): string {
  const c = r.createdAt;
  return [c, r.lastSeenAt - c, r.idleExpiresAt - r.lastSeenAt, r.absoluteExpiresAt - c]
    .map((n) => toDigits(Math.round(n)))
    .join(".");
}

function decodeTimes(text: string) {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const c = fromDigits(parts[0]!);
  const l = fromDigits(parts[1]!);
  const i = fromDigits(parts[2]!);
  const a = fromDigits(parts[3]!);
  if (!(Number.isFinite(c) && Number.isFinite(l) && Number.isFinite(i) && Number.isFinite(a)))
    return null;
  return {
    createdAt: c,
    lastSeenAt: c + l,
    idleExpiresAt: c + l + i,
    absoluteExpiresAt: c + a,
  };
}

/** Cuts text into pieces of at most 64 UTF-8 bytes, never inside a character. */
export function pieces(text: string): string[] {
  const out: string[] = [];
  let piece = "";
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > PIECE_BYTES) {
      out.push(piece);
      piece = "";
      bytes = 0;
    }
    piece += ch;
    bytes += n;
  }
  if (piece !== "" || out.length === 0) out.push(piece);
  return out;
}

/** The hash fields of a new session, as a flat field/value list for HSET. */
export function encodeSession(r: StoredSession): string[] {
  const out = ["t", encodeTimes(r)];
  if (r.userId !== null) out.push("u", r.userId);
  if (r.ip !== null) out.push("p", r.ip);
  if (r.userAgent !== null) {
    pieces(r.userAgent).forEach((p, n) => {
      out.push(n === 0 ? "g" : `g${n}`, p);
    });
  }
  for (const k of Object.keys(r.data)) out.push(DATA + k, r.data[k]!);
  return out;
}

/** A hash as the client returned it: a flat [field, value, …] array (RESP2) or a map (RESP3). */
export type HashReply = unknown;

/** The fields of one session hash as they arrive, turned into a record at the end. */
class Decoded {
  // A null-prototype object: a data key named __proto__ stays plain data.
  readonly data = Object.create(null) as Record<string, string>;
  times: ReturnType<typeof decodeTimes> = null;
  userId: string | null = null;
  ip: string | null = null;
  ua: string[] | null = null;

  add(f: string, v: string): void {
    if (f.charCodeAt(0) === DATA_CODE) this.data[f.slice(1)] = v;
    else if (f === "t") this.times = decodeTimes(v);
    else if (f === "u") this.userId = v;
    else if (f === "p") this.ip = v;
    else if (f === "g") this.#piece(0, v);
    else if (/^g[1-9]\d*$/.test(f)) this.#piece(Number(f.slice(1)), v);
  }

  #piece(n: number, v: string): void {
    this.ua ??= [];
    this.ua[n] = v;
  }

  session(): StoredSession | null {
    const t = this.times;
    if (t === null) return null;
    return {
      data: this.data,
      userId: this.userId,
      createdAt: t.createdAt,
      lastSeenAt: t.lastSeenAt,
      idleExpiresAt: t.idleExpiresAt,
      absoluteExpiresAt: t.absoluteExpiresAt,
      ip: this.ip,
      userAgent: this.ua === null ? null : this.ua.join(""),
    };
  }
}

const DATA_CODE = DATA.charCodeAt(0);

/**
 * The session a HGETALL reply holds, or null when the hash is absent or not
 * ours. The reply is a flat [field, value, …] array (RESP2), a Map (RESP3)
 * or an object (node-redis, ioredis); read in place, no pairs built (this
 * runs on every read).
 */
export function decodeSession(reply: HashReply): StoredSession | null {
  const d = new Decoded();
  if (Array.isArray(reply)) {
    for (let n = 0; n + 1 < reply.length; n += 2) d.add(String(reply[n]), String(reply[n + 1]));
  } else if (reply instanceof Map) {
    for (const [k, v] of reply) d.add(String(k), String(v));
  } else if (reply !== null && typeof reply === "object") {
    const o = reply as Record<string, unknown>;
    for (const k of Object.keys(o)) d.add(k, String(o[k]));
  }
  return d.session();
}
