/**
 * Encoding of session values. Each top-level key is stored as its own JSON
 * text, which is what makes field-level writes possible in every store.
 *
 * Encoding validates instead of trusting JSON.stringify, which silently turns
 * NaN into null, drops undefined and functions, and calls toJSON: a value that
 * would not come back equal is refused with a {@link SessionDataError}.
 * Decoding is JSON.parse with a reviver that drops `__proto__` keys, so
 * stored data can never reach an object's prototype. Nested `constructor` and
 * `prototype` keys are ordinary own properties and are kept (a quiz may well
 * have a "constructor" field); as top-level session keys all three are refused.
 */
import { SessionDataError } from "./errors.js";
import type { JsonValue } from "./json.js";

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);
const MAX_DEPTH = 64;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const encoder = new TextEncoder();

export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key);
}

/** Top-level keys: non-empty, at most 200 characters, not a prototype key. */
export function checkKey(key: string): void {
  if (typeof key !== "string" || key.length === 0 || key.length > 200) {
    throw new SessionDataError("session keys are non-empty strings of at most 200 characters");
  }
  if (FORBIDDEN_KEYS.has(key)) throw new SessionDataError(`"${key}" cannot be a session key`);
  if (key.includes("\u0000") || LONE_SURROGATE.test(key)) {
    throw new SessionDataError("session keys may not hold U+0000 or lone surrogates");
  }
}

/** JSON text of a value, or a SessionDataError naming the path that is not JSON-safe. */
export function encodeValue(value: unknown, key: string): string {
  check(value, key, 0);
  return JSON.stringify(value);
}

function check(value: unknown, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new SessionDataError(`${path}: nested deeper than ${MAX_DEPTH}`);
  switch (typeof value) {
    case "string":
      // Every store must keep what any store keeps: PostgreSQL's jsonb refuses
      // U+0000, and MySQL/MariaDB null a whole document holding a lone surrogate.
      if (value.includes("\u0000") || LONE_SURROGATE.test(value)) {
        throw new SessionDataError(`${path}: strings may not hold U+0000 or lone surrogates`);
      }
      return;
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw new SessionDataError(`${path}: ${value} is not JSON-safe`);
      return;
    case "object": {
      if (value === null) return;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) check(value[i], `${path}[${i}]`, depth + 1);
        return;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new SessionDataError(
          `${path}: ${proto?.constructor?.name ?? "object"} is not a plain object; store plain data (e.g. a Date as an ISO string)`,
        );
      }
      for (const [k, v] of Object.entries(value)) {
        check(k, `${path} key`, depth + 1);
        if (k === "__proto__")
          throw new SessionDataError(`${path}: key "__proto__" is not allowed`);
        check(v, `${path}.${k}`, depth + 1);
      }
      return;
    }
    default:
      throw new SessionDataError(`${path}: a ${typeof value} is not JSON-safe`);
  }
}

function reviver(key: string, value: unknown): unknown {
  return key === "__proto__" ? undefined : value;
}

/** Parses stored JSON text. Returns `undefined` for text that is not JSON (a corrupt field). */
export function decodeValue(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text, reviver) as JsonValue;
  } catch {
    return undefined;
  }
}

/** Freezes a decoded value so that mutating it in place — a change we could not see — throws. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function byteLength(text: string): number {
  // Fast path: ASCII strings are their length in bytes.
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return encoder.encode(text).byteLength;
  }
  return text.length;
}

/**
 * The encoded size of session data as every store measures it: the sum of
 * each key's and each JSON value's UTF-8 length.
 */
export function encodedSize(fields: Readonly<Record<string, string>>): number {
  let n = 0;
  for (const k in fields) n += byteLength(k) + byteLength(fields[k]!);
  return n;
}
