/**
 * One request's view of a session: reads are synchronous from what the load
 * brought, writes are buffered as a field-level patch that the manager commits
 * once, at the end of the request (or on `save()`).
 */
import {
  byteLength,
  checkKey,
  decodeValue,
  deepFreeze,
  encodedSize,
  encodeValue,
} from "./codec.js";
import { SessionDataError, SessionTooLargeError } from "./errors.js";
import type { JsonValue, ReadonlyJsonValue } from "./json.js";
import type { StoredSession } from "./store.js";
import { handleOfSync } from "./token.js";

/** What an adapter knows about the request that carries the session. */
export interface RequestInfo {
  /** The raw `Cookie` header. */
  cookie: string | null | undefined;
  /** True when the connection itself is TLS. */
  encrypted: boolean;
  /** The `X-Forwarded-Proto` header (used only with `trustProxy`). */
  forwardedProto?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

/**
 * The app's session data, key by key. Empty here; an app declares its keys
 * once by declaration merging, and `get`, `set` and `update` are typed by
 * them without casts (keys not declared stay `JsonValue`):
 * @example
 * declare module "cloakroom-sessions" {
 *   interface SessionData {
 *     cart: string[];
 *     visits: number;
 *   }
 * }
 * req.session.get("cart"); // readonly string[] | undefined
 * req.session.set("visits", "x"); // type error
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by the app through declaration merging
export interface SessionData {}

/** The keys the app declared in {@link SessionData}. */
export type DeclaredKey = keyof SessionData & string;

/**
 * A value as `get` returns it: frozen at run time, so read-only in the types
 * too — `get("cart")?.push(4)` is a compile error, not a TypeError.
 */
export type ReadonlyJson<T> = T extends readonly (infer U)[]
  ? readonly ReadonlyJson<U>[]
  : T extends object
    ? { readonly [K in keyof T]: ReadonlyJson<T[K]> }
    : T;

/** What `set(key, …)` accepts: the declared type for a declared key, any JSON value otherwise. */
export type ValueFor<K extends string> = K extends DeclaredKey
  ? SessionData[K] | ReadonlyJson<SessionData[K]>
  : ReadonlyJsonValue;

/** Options of {@link Session.regenerate} and {@link Session.setUser}. */
export interface RotateOptions {
  /** Keep the session's data under the new token. @default true */
  keepData?: boolean;
  /** A persistent cookie (kept across browser restarts) rather than a browser-session one. */
  persistent?: boolean;
  /** A different absolute lifetime for the new session, in ms (e.g. "remember me"). */
  absoluteTimeout?: number;
}

const META_PREFIX = "$";

/** @internal State the manager reads and writes; not part of the public API. */
export interface SessionInternals {
  key: string | null;
  /** Public handle; undefined while not yet derived from `key` (derived lazily: most requests never ask). */
  handle: string | null | undefined;
  record: StoredSession | null;
  fields: Record<string, string>;
  size: number;
  pendingSet: Map<string, string>;
  pendingUnset: Set<string>;
  userId: string | null;
  dead: { key: string; handle: string; userId: string | null; reason: "destroyed" | "rotated" }[];
  rotatedFrom?: string | undefined;
  rotate: RotateOptions | null;
  hadCookie: boolean;
  reissue: boolean;
  accessed: boolean;
  secure: boolean;
  ip: string | null;
  userAgent: string | null;
  maxBytes: number;
  outCookie: string | null;
}

export class Session {
  /** @internal */
  readonly _s: SessionInternals;
  readonly #decoded = new Map<string, JsonValue>();

  /** @internal Sessions are made by the manager's `load()`. */
  constructor(internals: SessionInternals) {
    this._s = internals;
  }

  /** The public handle of a stored session (safe to show and put in URLs); null until first saved. */
  get id(): string | null {
    const s = this._s;
    if (s.handle === undefined) s.handle = s.key === null ? null : (handleOfSync(s.key) ?? null);
    return s.handle;
  }
  /** The signed-in user, or null. Change it with {@link setUser}. */
  get userId(): string | null {
    return this._s.userId;
  }
  /** True when nothing is stored yet: no cookie will be sent unless something is written. */
  get isNew(): boolean {
    return this._s.key === null;
  }
  get createdAt(): number | null {
    return this._s.record?.createdAt ?? null;
  }
  get lastSeenAt(): number | null {
    return this._s.record?.lastSeenAt ?? null;
  }
  /** When the session ends if nothing happens: the earlier of the idle and absolute deadlines. */
  get expiresAt(): number | null {
    const r = this._s.record;
    return r ? Math.min(r.idleExpiresAt, r.absoluteExpiresAt) : null;
  }
  get absoluteExpiresAt(): number | null {
    return this._s.record?.absoluteExpiresAt ?? null;
  }

  /**
   * The value under `key`, or undefined: typed by {@link SessionData} for a
   * declared key, else by the type argument. Values are frozen (read-only in
   * the types): change them with `set` or `update`, not in place.
   */
  get<K extends DeclaredKey>(key: K): ReadonlyJson<SessionData[K]> | undefined;
  get<T extends JsonValue = JsonValue>(key: string): ReadonlyJson<T> | undefined;
  get(key: string): unknown {
    this._s.accessed = true;
    if (key.startsWith(META_PREFIX)) return undefined;
    return this.#read(key);
  }

  has(key: string): boolean {
    this._s.accessed = true;
    return !key.startsWith(META_PREFIX) && this._s.fields[key] !== undefined;
  }

  /** The data keys (library metadata excluded). */
  keys(): string[] {
    this._s.accessed = true;
    return Object.keys(this._s.fields).filter((k) => !k.startsWith(META_PREFIX));
  }

  /** A plain-object copy of the data (library metadata excluded). */
  toJSON(): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    for (const k of this.keys()) {
      const v = this.#read(k);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }

  /**
   * Stores a JSON-safe value under a top-level key; `undefined` deletes it.
   * Throws {@link SessionTooLargeError} (nothing changed) past `maxBytes`, and
   * {@link SessionDataError} for values that would not survive JSON.
   */
  set<K extends string>(key: K, value: ValueFor<K> | undefined): this {
    if (key.startsWith(META_PREFIX)) {
      throw new SessionDataError(`keys starting with "${META_PREFIX}" are reserved for Cloakroom`);
    }
    checkKey(key);
    // Read-only in the types only: the value is encoded (copied), never kept by reference.
    this.#write(key, value as JsonValue | undefined);
    return this;
  }

  /** Sets `key` to `fn(current)`; `current` is read-only, return a new value. */
  update<K extends DeclaredKey>(
    key: K,
    fn: (current: ReadonlyJson<SessionData[K]> | undefined) => SessionData[K] | undefined,
  ): this;
  update<T extends JsonValue, K extends string = string>(
    // A declared key never falls through to this untyped form.
    key: K & (K extends DeclaredKey ? never : unknown),
    fn: (current: ReadonlyJson<T> | undefined) => T | undefined,
  ): this;
  update(key: string, fn: (current: never) => JsonValue | undefined): this {
    return this.set(key, fn(this.get(key) as never));
  }

  delete(key: string): this {
    if (key.startsWith(META_PREFIX)) return this;
    this.#write(key, undefined);
    return this;
  }

  /** Library metadata (`$name`): stored and patched like data, hidden from `keys()` and `toJSON()`. */
  getMeta<T extends JsonValue = JsonValue>(name: string): T | undefined {
    return this.#read(META_PREFIX + name) as T | undefined;
  }

  setMeta(name: string, value: JsonValue | undefined): this {
    this.#write(META_PREFIX + name, value);
    return this;
  }

  /**
   * A new token for this session; the old one is dead once the request
   * commits (session fixation defence). Data is kept unless `keepData: false`.
   */
  regenerate(options: RotateOptions = {}): this {
    const s = this._s;
    if (options.keepData === false) this.#clear(false);
    if (s.key !== null) {
      s.dead.push({
        key: s.key,
        handle: this.id!,
        userId: s.record?.userId ?? null,
        reason: "rotated",
      });
      s.key = null;
      s.handle = null;
      s.record = null;
    }
    s.pendingSet.clear();
    s.pendingUnset.clear();
    s.rotate = { ...s.rotate, ...options };
    s.accessed = true;
    return this;
  }

  /** Signs a user in or out of this session; always rotates the token. */
  setUser(userId: string | null, options: RotateOptions = {}): this {
    if (
      userId !== null &&
      (typeof userId !== "string" || userId.length === 0 || userId.length > 200)
    ) {
      throw new SessionDataError("userId must be a non-empty string of at most 200 characters");
    }
    this._s.userId = userId;
    return this.regenerate(options);
  }

  /** Ends the session: the record is removed when the request commits and the cookie cleared. */
  destroy(): this {
    const s = this._s;
    if (s.key !== null)
      s.dead.push({ key: s.key, handle: this.id!, userId: s.userId, reason: "destroyed" });
    s.key = null;
    s.handle = null;
    s.record = null;
    s.userId = null;
    s.rotate = null;
    this.#clear(true);
    s.accessed = true;
    return this;
  }

  /** True when committing would write something. */
  get isDirty(): boolean {
    const s = this._s;
    if (s.dead.length > 0) return true;
    if (s.key === null) return s.userId !== null || Object.keys(s.fields).length > 0;
    return s.pendingSet.size > 0 || s.pendingUnset.size > 0;
  }

  /** @internal Called by the manager after a reload or commit. */
  _resetCache(): void {
    this.#decoded.clear();
  }

  #read(key: string): JsonValue | undefined {
    const cached = this.#decoded.get(key);
    if (cached !== undefined) return cached;
    const raw = this._s.fields[key];
    if (raw === undefined) return undefined;
    const value = decodeValue(raw);
    if (value === undefined) return undefined;
    deepFreeze(value);
    this.#decoded.set(key, value);
    return value;
  }

  #write(key: string, value: JsonValue | undefined): void {
    const s = this._s;
    s.accessed = true;
    const before = s.fields[key];
    if (value === undefined) {
      if (before === undefined) return;
      if (s.size < 0) s.size = encodedSize(s.fields);
      delete s.fields[key];
      s.size -= byteLength(key) + byteLength(before);
      this.#decoded.delete(key);
      s.pendingSet.delete(key);
      if (s.record?.data[key] !== undefined) s.pendingUnset.add(key);
      return;
    }
    const text = encodeValue(value, key);
    if (text === before) return;
    if (s.size < 0) s.size = encodedSize(s.fields);
    const size =
      s.size -
      (before === undefined ? 0 : byteLength(key) + byteLength(before)) +
      byteLength(key) +
      byteLength(text);
    if (size > s.maxBytes) throw new SessionTooLargeError(size, s.maxBytes);
    s.fields[key] = text;
    s.size = size;
    this.#decoded.delete(key);
    s.pendingUnset.delete(key);
    if (s.record?.data[key] === text) s.pendingSet.delete(key);
    else s.pendingSet.set(key, text);
  }

  #clear(includeMeta: boolean): void {
    const s = this._s;
    for (const k of Object.keys(s.fields)) {
      if (includeMeta || !k.startsWith(META_PREFIX)) this.#write(k, undefined);
    }
  }
}

/** @internal */
export function emptyFields(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/** @internal */
export function fieldsOf(record: StoredSession): { fields: Record<string, string>; size: number } {
  const fields = emptyFields();
  Object.assign(fields, record.data);
  // -1: measured on the first write, so a read-only request never walks the data.
  return { fields, size: -1 };
}
