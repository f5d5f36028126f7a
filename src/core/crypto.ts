/**
 * The few primitives the core needs: random bytes, SHA-256, HMAC-SHA256,
 * base64url and a constant-time compare. On Node they use `node:crypto`
 * synchronously (reached through `process.getBuiltinModule`, so this file
 * imports nothing Node-only and still runs on runtimes that only have Web
 * Crypto). Elsewhere they fall back to `crypto.subtle`, which is async — hence
 * the Promise-returning signatures.
 */
import type * as NodeCrypto from "node:crypto";

export type Bytes = Uint8Array<ArrayBuffer>;

const nodeCrypto: typeof NodeCrypto | undefined = (() => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.("node:crypto") as typeof NodeCrypto | undefined;
})();

const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;
const encoder = new TextEncoder();

export function randomBytes(n: number): Bytes {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

export function base64url(bytes: Bytes): string {
  if (NodeBuffer) {
    return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
  }
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function utf8(text: string): Bytes {
  return encoder.encode(text) as Bytes;
}

/** SHA-256 of `text`, base64url (43 characters). */
export function sha256(text: string): string | Promise<string> {
  if (nodeCrypto) return nodeCrypto.createHash("sha256").update(text).digest("base64url");
  return globalThis.crypto.subtle
    .digest("SHA-256", utf8(text))
    .then((d) => base64url(new Uint8Array(d)));
}

/**
 * An HMAC key prepared once: a Node KeyObject (creating one per call was the
 * largest single cost of verifying a cookie, measured with --cpu-prof), or a
 * Web Crypto key imported on first use.
 *
 * Opaque: the bytes and the KeyObject live in private fields, so nothing that
 * can reach the key object (a request's `sessions`, a debugger's `inspect`,
 * an error serialiser, `JSON.stringify`) can read or print the secret.
 */
export class HmacKey {
  readonly #bytes: Bytes;
  readonly #node: NodeCrypto.KeyObject | undefined;
  #web: Promise<CryptoKey> | undefined;

  constructor(bytes: Bytes) {
    // A copy: the caller's buffer may be reused or exposed elsewhere.
    this.#bytes = new Uint8Array(bytes);
    this.#node = nodeCrypto?.createSecretKey(this.#bytes);
  }

  /** HMAC-SHA256 of `text`, base64url. */
  sign(text: string): string | Promise<string> {
    if (nodeCrypto && this.#node)
      return nodeCrypto.createHmac("sha256", this.#node).update(text).digest("base64url");
    this.#web ??= globalThis.crypto.subtle.importKey(
      "raw",
      this.#bytes,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    return this.#web
      .then((k) => globalThis.crypto.subtle.sign("HMAC", k, utf8(text)))
      .then((sig) => base64url(new Uint8Array(sig)));
  }

  toJSON(): string {
    return "[HmacKey: redacted]";
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "[HmacKey: redacted]";
  }
}

export function hmacKey(bytes: Bytes): HmacKey {
  return new HmacKey(bytes);
}

/** HMAC-SHA256 of `text` under `key`, base64url. */
export function hmac(key: HmacKey, text: string): string | Promise<string> {
  return key.sign(text);
}

/** SHA-256 of `text`, base64url, when it can be had synchronously (Node); otherwise undefined. */
export function sha256Sync(text: string): string | undefined {
  return nodeCrypto?.createHash("sha256").update(text).digest("base64url");
}

/**
 * Constant-time equality of two ASCII strings. Lengths are compared first
 * and openly: every MAC we compare has a fixed, public length, and checking it
 * is what stops the "signed + garbage verifies" bug (cookie-signature #40).
 */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  if (nodeCrypto && NodeBuffer) {
    return nodeCrypto.timingSafeEqual(NodeBuffer.from(a, "latin1"), NodeBuffer.from(b, "latin1"));
  }
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
