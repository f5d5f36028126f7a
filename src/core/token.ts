/**
 * Session tokens. A token is `v1.<secret>.<mac>`:
 * - `secret`: 32 bytes from the CSPRNG (256 bits), base64url;
 * - `mac`: HMAC-SHA256 of `v1.<secret>` under the first app secret, base64url.
 *
 * The version prefix lets the format change later without logging everyone
 * out. The store never sees the token: records are keyed by SHA-256 of the
 * secret part, so a dump of the store yields no usable cookie, and re-signing
 * under a new app secret keeps the same record.
 */
import {
  base64url,
  type HmacKey,
  hmac,
  hmacKey,
  randomBytes,
  sha256,
  sha256Sync,
  timingSafeEqual,
  utf8,
} from "./crypto.js";
import { ConfigurationError } from "./errors.js";

const VERSION = "v1";
const TOKEN_PATTERN = /^v1\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;
/** `v1.` + 43 + `.` + 43: the only length a token has. */
const TOKEN_LENGTH = 90;
const SECRET_END = 46;
const DOT = 0x2e;
/** Shortest app secret accepted: 32 bytes, the HMAC-SHA256 block-strength guidance (RFC 2104 §3). */
export const MIN_SECRET_BYTES = 32;

export interface SigningKeys {
  /** Keys in order; the first signs, all verify. */
  readonly keys: readonly HmacKey[];
}

export interface VerifiedToken {
  /** The random part; its hash is the store key. */
  readonly secret: string;
  /** Index of the app secret that verified it; above 0 means the cookie should be re-issued. */
  readonly keyIndex: number;
}

export function signingKeys(secrets: string | readonly string[]): SigningKeys {
  const list = typeof secrets === "string" ? [secrets] : [...secrets];
  if (list.length === 0) throw new ConfigurationError("secrets: give at least one secret");
  const keys = list.map((s, i) => {
    const bytes = utf8(s);
    if (bytes.byteLength < MIN_SECRET_BYTES) {
      throw new ConfigurationError(
        `secrets[${i}] is ${bytes.byteLength} bytes; use at least ${MIN_SECRET_BYTES} random bytes (e.g. \`openssl rand -base64 32\`)`,
      );
    }
    return hmacKey(bytes);
  });
  return { keys };
}

/** A fresh token signed with the first key. */
export async function mintToken(keys: SigningKeys): Promise<{ token: string; secret: string }> {
  const secret = base64url(randomBytes(32));
  return { token: await signSecret(keys, secret), secret };
}

/** The token for an existing secret, signed with the first (current) key. */
export async function signSecret(keys: SigningKeys, secret: string): Promise<string> {
  const mac = await hmac(keys.keys[0]!, `${VERSION}.${secret}`);
  return `${VERSION}.${secret}.${mac}`;
}

/**
 * Checks shape and signature. Returns null for anything malformed or forged:
 * such a token must never reach the store.
 */
export async function verifyToken(keys: SigningKeys, token: string): Promise<VerifiedToken | null> {
  const m = TOKEN_PATTERN.exec(token);
  if (!m) return null;
  const secret = m[1]!;
  const mac = m[2]!;
  for (let i = 0; i < keys.keys.length; i++) {
    const expected = await hmac(keys.keys[i]!, `${VERSION}.${secret}`);
    if (timingSafeEqual(expected, mac)) return { secret, keyIndex: i };
  }
  return null;
}

/** True when `token` has the shape of a token (its signature unchecked): tells a forgery from garbage. */
export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** The store key for a token secret: SHA-256, base64url (43 chars). */
export function storeKeyOf(secret: string): string | Promise<string> {
  return sha256(secret);
}

const HANDLE_PREFIX = "cloakroom-handle:";

/**
 * The public handle of a session (shown in device lists, used in revoke URLs).
 * Derived from the store key so it is stable, but one-way, so store keys never
 * leave the server either.
 */
export async function handleOf(storeKey: string): Promise<string> {
  return (await sha256(HANDLE_PREFIX + storeKey)).slice(0, 22);
}

/** {@link handleOf} without waiting, where the runtime hashes synchronously (Node); else undefined. */
export function handleOfSync(storeKey: string): string | undefined {
  return sha256Sync(HANDLE_PREFIX + storeKey)?.slice(0, 22);
}

interface Verified {
  readonly mac: string;
  readonly keyIndex: number;
  readonly storeKey: string;
}

/**
 * Verifies tokens and derives their store keys, remembering the last
 * `capacity` tokens it verified. HMAC and SHA-256 were two thirds of the
 * core's CPU on a read (measured with --cpu-prof), and a browser sends the
 * same cookie on every request. The cache is keyed by the token's random
 * part (256 bits: unguessable) and a hit still compares the MAC in constant
 * time, so a cached entry never accepts a token the HMAC would refuse.
 */
export class TokenVerifier {
  readonly #keys: SigningKeys;
  readonly #capacity: number;
  readonly #cache = new Map<string, Verified>();

  constructor(keys: SigningKeys, capacity = 10_000) {
    this.#keys = keys;
    this.#capacity = capacity;
  }

  /**
   * {@link TokenVerifier.verify} without waiting, for a token this verifier
   * has seen (same random part and MAC, compared in constant time); undefined
   * for any other token, which only `verify` can decide.
   */
  verifyCached(token: string): (VerifiedToken & { storeKey: string }) | undefined {
    // No pattern match needed: only a secret that passed it is cached, and
    // the MAC must then equal one that did, byte for byte.
    if (token.length !== TOKEN_LENGTH || token.charCodeAt(SECRET_END) !== DOT) return undefined;
    if (!token.startsWith(`${VERSION}.`)) return undefined;
    const secret = token.slice(VERSION.length + 1, SECRET_END);
    const hit = this.#cache.get(secret);
    if (hit === undefined || !timingSafeEqual(hit.mac, token.slice(SECRET_END + 1)))
      return undefined;
    return { secret, keyIndex: hit.keyIndex, storeKey: hit.storeKey };
  }

  /** The verified token with its store key, or null for anything malformed or forged. */
  async verify(token: string): Promise<(VerifiedToken & { storeKey: string }) | null> {
    const cached = this.verifyCached(token);
    if (cached !== undefined) return cached;
    const m = TOKEN_PATTERN.exec(token);
    if (!m) return null;
    const secret = m[1]!;
    const mac = m[2]!;
    const hit = this.#cache.get(secret);
    // A MAC the cache did not see is verified, never refused: the same secret
    // arrives under a second MAC when a cookie verified by an old app secret
    // is re-issued under the new one (rotation), and refusing it would log
    // every user out on their next request.
    const verified = await verifyToken(this.#keys, token);
    if (!verified) return null;
    const storeKey = hit?.storeKey ?? (await storeKeyOf(secret));
    this.#cache.delete(secret);
    if (this.#cache.size >= this.#capacity) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(secret, { mac, keyIndex: verified.keyIndex, storeKey });
    return { ...verified, storeKey };
  }
}
