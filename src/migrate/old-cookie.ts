/**
 * The incumbent's session cookie: express-session's `connect.sid=s:<sid>.<sig>`
 * and @fastify/session's `sessionId=<sid>.<sig>`. Signatures are checked with
 * the `cookie-signature` package itself — the code express-session runs, and
 * the scheme @fastify/cookie's signer copies (HMAC-SHA256, base64 without
 * padding) — so what the old app accepted is exactly what we accept. Its
 * `unsign` compares in constant time (crypto.timingSafeEqual after a length
 * check, the fix for cookie-signature #40).
 */
import { parse, serialize } from "cookie";
import { unsign } from "cookie-signature";

export type LegacyFormat = "express-session" | "fastify-session";

export interface OldCookieSettings {
  format: LegacyFormat;
  name: string;
  secrets: readonly string[];
  /** @fastify/session's `cookiePrefix`. */
  prefix: string;
  path: string;
  domain: string | undefined;
}

/** Longer than any cookie a browser keeps (RFC 6265bis §5.6). */
const MAX_HEADER = 16 * 1024;
/**
 * Session ids we pass on to a store: printable, no path separators (the file
 * source builds a path from it), no glob characters (the Redis SCAN pattern).
 * uid-safe ids (express-session) and @fastify/session's are base64url.
 */
const SID = /^[A-Za-z0-9_.:+=@~-]{1,255}$/;

/** What the old cookie says: absent, present but not valid (`sid: null`), or a verified id. */
export type OldCookie = { present: false } | { present: true; sid: string | null };

export function readOldCookie(header: string | null | undefined, s: OldCookieSettings): OldCookie {
  if (!header || header.length > MAX_HEADER || !header.includes(s.name)) return { present: false };
  const raw = parse(header)[s.name];
  if (raw === undefined || raw.length === 0) return { present: false };
  return { present: true, sid: verify(raw, s) };
}

function verify(raw: string, s: OldCookieSettings): string | null {
  let signed: string;
  if (s.format === "express-session") {
    // express-session only ever reads values starting with "s:" (index.js, getcookie).
    if (!raw.startsWith("s:")) return null;
    signed = raw.slice(2);
  } else {
    if (!raw.startsWith(s.prefix)) return null;
    signed = raw.slice(s.prefix.length);
  }
  if (signed.lastIndexOf(".") <= 0) return null;
  for (const secret of s.secrets) {
    const sid = unsign(signed, secret);
    if (sid !== false) return SID.test(sid) ? sid : null;
  }
  return null;
}

/** `Set-Cookie` that deletes the old cookie (same name, Path and Domain as the old app set). */
export function clearOldCookie(s: OldCookieSettings): string {
  return serialize(s.name, "", {
    path: s.path,
    domain: s.domain,
    httpOnly: true,
    maxAge: 0,
    expires: new Date(0),
  });
}
