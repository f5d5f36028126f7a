/**
 * CSRF protection by the synchronizer token pattern (OWASP CSRF Prevention
 * CS): a 256-bit secret lives in the session (metadata `$csrf`, never in a
 * cookie of its own), and each page gets a token masked with a fresh one-time
 * pad — `base64url(pad ‖ pad ⊕ secret)` — so the token differs on every
 * response and a compression side channel (BREACH) cannot recover the secret
 * byte by byte. Verifying unmasks and compares in constant time.
 *
 * The secret is created lazily by {@link csrfToken}: a page with a form
 * therefore writes its session (a form needs one). Login and logout give the
 * session a new secret, so a token taken before either is dead after it
 * (CSRF-05, token fixation).
 */
import { base64url, randomBytes, timingSafeEqual } from "../core/crypto.js";
import type { Session } from "../core/session.js";

/** The form field the token travels in. */
export const CSRF_FIELD = "_csrf";
/** The request header the token travels in (fetch/XHR). */
export const CSRF_HEADER = "x-csrf-token";

const META = "csrf";
const SECRET_BYTES = 32;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{86}$/;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/**
 * A masked token for the session's secret, creating the secret if needed.
 * Put it in a hidden `_csrf` field or send it back in `x-csrf-token`; never
 * in a URL.
 * @example html`<input type="hidden" name="_csrf" value="${csrfToken(session)}">`
 */
export function csrfToken(session: Session): string {
  let secret = readSecret(session);
  if (secret === null) {
    secret = randomBytes(SECRET_BYTES);
    session.setMeta(META, base64url(secret));
  }
  const pad = randomBytes(SECRET_BYTES);
  const out = new Uint8Array(SECRET_BYTES * 2);
  out.set(pad);
  for (let i = 0; i < SECRET_BYTES; i++) out[SECRET_BYTES + i] = pad[i]! ^ secret[i]!;
  return base64url(out);
}

/**
 * True when `token` was minted by {@link csrfToken} for this session's
 * current secret. Anything else — missing, empty, an array from a repeated
 * form field, another session's token, a tampered one — is false.
 */
export function verifyCsrf(session: Session, token: unknown): boolean {
  const secret = session.getMeta<string>(META);
  if (typeof secret !== "string" || !SECRET_PATTERN.test(secret)) return false;
  if (typeof token !== "string" || !TOKEN_PATTERN.test(token)) return false;
  const raw = decode(token);
  // Only the canonical encoding: the last character carries 2 spare bits that must be zero.
  if (base64url(raw) !== token) return false;
  const unmasked = new Uint8Array(SECRET_BYTES);
  for (let i = 0; i < SECRET_BYTES; i++) unmasked[i] = raw[i]! ^ raw[SECRET_BYTES + i]!;
  return timingSafeEqual(base64url(unmasked), secret);
}

/**
 * True for methods that may change state and so need a token. Anything not
 * known to be safe counts as unsafe (RFC 9110 §9.2.1 lists the safe ones).
 */
export function isStateChanging(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/**
 * The whole check for one request: safe methods pass, the others need a
 * valid token. Take the token from the `_csrf` form field or the
 * `x-csrf-token` header.
 * @example
 * const csrf = checkCsrf(session, req.method, req.body?._csrf ?? req.get("x-csrf-token"));
 * if (!csrf.ok) return res.status(403).send("Invalid CSRF token");
 */
export function checkCsrf(
  session: Session,
  method: string,
  token: unknown,
): { ok: true } | { ok: false; status: 403; reason: "csrf" } {
  if (!isStateChanging(method) || verifyCsrf(session, token)) return { ok: true };
  return { ok: false, status: 403, reason: "csrf" };
}

/** Drops the session's secret; the next {@link csrfToken} makes a new one. */
export function resetCsrf(session: Session): void {
  session.setMeta(META, undefined);
}

function readSecret(session: Session): Uint8Array<ArrayBuffer> | null {
  const s = session.getMeta<string>(META);
  return typeof s === "string" && SECRET_PATTERN.test(s) ? decode(s) : null;
}

/** base64url → bytes for input already checked against a strict pattern. */
function decode(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
