/**
 * One request's session. It owns its state and every change to it: reads are
 * synchronous from what the load brought, writes are buffered as a
 * field-level patch, and the manager — which only does the store I/O — tells
 * it what the store said (`_loaded`, `_created`, `_patched`, `_lost`…).
 *
 * One object per request: the adapters build their subclass up front and the
 * manager loads into it, so nothing is wrapped or copied. Collections are
 * created on first use, because most requests only read `userId`.
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
import type { SessionPatch, StoredSession } from "./store.js";
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

/** @internal A token this request ended: removed from the store at commit. */
export interface DeadToken {
  key: string;
  handle: string;
  userId: string | null;
  reason: "destroyed" | "rotated";
}

/** @internal What a new or rotated session carries into `store.create`. */
export interface NewSessionPlan {
  data: Record<string, string>;
  userId: string | null;
  absoluteTimeout: number | undefined;
  ip: string | null;
  userAgent: string | null;
}

const META_PREFIX = "$";

const EMPTY: Readonly<Record<string, string>> = Object.freeze(Object.create(null));

/**
 * One request's session: its data (JSON-safe values under top-level keys),
 * its user and its metadata. Reads are local; changes are recorded here and
 * written by the manager at commit as one field-level patch (only the keys
 * this request set or deleted), so concurrent requests on one session keep
 * each other's changes. A visitor whose session is never written gets no
 * cookie and costs no store write. Adapters hand it to handlers as
 * `req.session` (Express, Fastify) or `c.get("session")` (Hono).
 * @example
 * const cart = session.get("cart") ?? [];
 * session.set("cart", [...cart, item]);
 */
export class Session {
  /** @internal The store key (SHA-256 of the token's secret), or null while nothing is stored. */
  _key: string | null = null;
  /** @internal A `Set-Cookie` value this request must send, or null. */
  _outCookie: string | null = null;
  /** @internal The request carried a session cookie (valid or not). */
  _hadCookie = false;
  /** @internal Something read or changed the session: the response depends on it (`Vary: Cookie`). */
  _accessed = false;
  /** @internal The cookie is a secure one (`__Host-` name, `Secure` attribute). */
  _secure = false;
  /** The request's facts, for the client's address: read when first needed, as most requests never need it. */
  #request: RequestInfo | null = null;
  /** @internal The client's user agent, at most 512 characters. */
  _userAgent: string | null = null;
  /** @internal The last commit, so commits of one session run in order. */
  _lastCommit: Promise<unknown> | null = null;

  /** Public handle; undefined while not yet derived from the key (most requests never ask). */
  #handle: string | null | undefined = null;
  #record: StoredSession | null = null;
  /** The data as this request sees it; null while it is still exactly `#record.data` (copied on first write). */
  #fields: Record<string, string> | null = null;
  /** Encoded size of the fields; -1 until the first write needs it. */
  #size = 0;
  #maxBytes = 64 * 1024;
  #anonymousMaxBytes = 4096;
  #set: Map<string, string> | null = null;
  #unset: Set<string> | null = null;
  #userId: string | null = null;
  #dead: DeadToken[] | null = null;
  #rotatedFrom: string | undefined = undefined;
  #rotate: RotateOptions | null = null;
  #decoded: Map<string, JsonValue> | null = null;

  /** The session's public id, derived from its key (safe to show and put in URLs, never the token); null until first saved. */
  get id(): string | null {
    if (this.#handle === undefined)
      this.#handle = this._key === null ? null : (handleOfSync(this._key) ?? null);
    return this.#handle;
  }
  /** The signed-in user, or null. Change it with {@link setUser}. */
  get userId(): string | null {
    return this.#userId;
  }
  /** True when nothing is stored yet: no cookie will be sent unless something is written. */
  get isNew(): boolean {
    return this._key === null;
  }
  /** When the session was first stored (ms since the epoch), or null while it is new. */
  get createdAt(): number | null {
    return this.#record?.createdAt ?? null;
  }
  /** When a request last moved the idle deadline (ms since the epoch; updated at most every `touchInterval`), or null while new. */
  get lastSeenAt(): number | null {
    return this.#record?.lastSeenAt ?? null;
  }
  /** When the session ends if nothing happens: the earlier of the idle and absolute deadlines. */
  get expiresAt(): number | null {
    const r = this.#record;
    return r ? Math.min(r.idleExpiresAt, r.absoluteExpiresAt) : null;
  }
  /** The hard deadline fixed at creation (ms since the epoch), which no activity moves; null while new. */
  get absoluteExpiresAt(): number | null {
    return this.#record?.absoluteExpiresAt ?? null;
  }

  /**
   * The value under `key`, or undefined: typed by {@link SessionData} for a
   * declared key, else by the type argument. Values are frozen (read-only in
   * the types): change them with `set` or `update`, not in place.
   */
  get<K extends DeclaredKey>(key: K): ReadonlyJson<SessionData[K]> | undefined;
  get<T extends JsonValue = JsonValue>(key: string): ReadonlyJson<T> | undefined;
  get(key: string): unknown {
    this._accessed = true;
    if (key.startsWith(META_PREFIX)) return undefined;
    return this.#read(key);
  }

  /** True when `key` holds a value (library metadata excluded). Reading never writes. */
  has(key: string): boolean {
    this._accessed = true;
    return !key.startsWith(META_PREFIX) && this.#raw(key) !== undefined;
  }

  /** The data keys (library metadata excluded). */
  keys(): string[] {
    this._accessed = true;
    return Object.keys(this.#view()).filter((k) => !k.startsWith(META_PREFIX));
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
   * Throws {@link SessionTooLargeError} (nothing changed) past `maxBytes`
   * (`anonymousMaxBytes` while the session is not signed in), and
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

  /** Removes `key` (written at commit as a field-level delete); an absent key is no error. */
  delete(key: string): this {
    if (key.startsWith(META_PREFIX)) return this;
    this.#write(key, undefined);
    return this;
  }

  /** Library metadata (`$name`): stored and patched like data, hidden from `keys()` and `toJSON()`. */
  getMeta<T extends JsonValue = JsonValue>(name: string): T | undefined {
    return this.#read(META_PREFIX + name) as T | undefined;
  }

  /** Sets library metadata `$name` (`undefined` deletes it); written like data, at commit. */
  setMeta(name: string, value: JsonValue | undefined): this {
    this.#write(META_PREFIX + name, value);
    return this;
  }

  /**
   * A new token for this session; the old one is dead once the request
   * commits (session fixation defence). Data is kept unless `keepData: false`.
   */
  regenerate(options: RotateOptions = {}): this {
    if (options.keepData === false) this.#clear(false);
    // The data moves to the new session: take it out of the record that is about to go.
    this.#writable();
    if (this._key !== null) {
      this.#kill({
        key: this._key,
        handle: this.id!,
        userId: this.#record?.userId ?? null,
        reason: "rotated",
      });
      this.#record = null;
    }
    this.#set = null;
    this.#unset = null;
    this.#rotate = { ...this.#rotate, ...options };
    this._accessed = true;
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
    this.#userId = userId;
    return this.regenerate(options);
  }

  /** Ends the session: the record is removed when the request commits and the cookie cleared. */
  destroy(): this {
    if (this._key !== null)
      this.#kill({ key: this._key, handle: this.id!, userId: this.#userId, reason: "destroyed" });
    this.#record = null;
    this.#userId = null;
    this.#rotate = null;
    this.#fields = null;
    this.#size = 0;
    this.#set = null;
    this.#unset = null;
    this.#decoded = null;
    this._accessed = true;
    return this;
  }

  /** True when committing would write something. */
  get isDirty(): boolean {
    if (this.#dead !== null && this.#dead.length > 0) return true;
    if (this._key === null) return this.#userId !== null || this.#hasFields();
    return this.#hasPatch();
  }

  // ---- The manager's side: what the store said, and what to send it. ----

  /**
   * @internal The client's address, as the adapter saw it. Read from the
   * request on use: behind a trusted proxy Express derives it from
   * `X-Forwarded-For` on every read of `req.ip`, and only a new session or an
   * audit entry needs it.
   */
  get _ip(): string | null {
    return this.#request?.ip ?? null;
  }

  /** @internal Request facts known before the cookie is read. */
  _begin(
    secure: boolean,
    maxBytes: number,
    request: RequestInfo,
    userAgent: string | null,
    anonymousMaxBytes: number,
  ): void {
    this._secure = secure;
    this.#maxBytes = maxBytes;
    this.#anonymousMaxBytes = anonymousMaxBytes;
    this.#request = request;
    this._userAgent = userAgent;
  }

  /** @internal The cookie named a live record. `handle` undefined: derived on first use. */
  _loaded(key: string, record: StoredSession, handle: string | undefined): void {
    this._key = key;
    this.#handle = handle;
    this.#adopt(record);
  }

  /** @internal The JSON text under `key` as this request sees it (for the legacy-properties view). */
  _rawField(key: string): string | undefined {
    return this.#raw(key);
  }

  /** @internal The stored record, as this request last knew it. */
  get _record(): StoredSession | null {
    return this.#record;
  }

  /** @internal Tokens to remove from the store; the list is handed over (emptied). */
  _takeDead(): DeadToken[] | null {
    const dead = this.#dead;
    if (dead === null || dead.length === 0) return null;
    this.#dead = null;
    const rotated = dead.find((d) => d.reason === "rotated");
    if (rotated) this.#rotatedFrom = rotated.handle;
    return dead;
  }

  /** @internal What to create for a session with no stored record, or null when there is nothing to keep. */
  _newSession(): NewSessionPlan | null {
    if (this.#userId === null && !this.#hasFields()) return null;
    const data: Record<string, string> = { ...this.#view() };
    if (this.#rotate?.persistent !== undefined)
      data.$persistent = JSON.stringify(this.#rotate.persistent);
    return {
      data,
      userId: this.#userId,
      absoluteTimeout: this.#rotate?.absoluteTimeout,
      ip: this._ip,
      userAgent: this._userAgent,
    };
  }

  /** @internal The store holds the new session; `previousHandle` is the rotated one, if any. */
  _created(key: string, handle: string, record: StoredSession, cookie: string): string | undefined {
    const previous = this.#rotatedFrom;
    this._key = key;
    this.#handle = handle;
    this.#record = record;
    this.#fields = null;
    this.#size = -1;
    this.#set = null;
    this.#unset = null;
    this._outCookie = cookie;
    this.#rotate = null;
    this.#rotatedFrom = undefined;
    return previous;
  }

  /** @internal The field-level patch this request made (without touch and size limit), or null. */
  _patch(): Pick<SessionPatch, "set" | "unset"> | null {
    if (!this.#hasPatch()) return null;
    return {
      set: this.#set === null ? {} : Object.fromEntries(this.#set),
      unset: this.#unset === null ? [] : [...this.#unset],
    };
  }

  /** @internal Encoded size of the data as this request sees it. */
  _size(): number {
    if (this.#size < 0) this.#size = encodedSize(this.#view());
    return this.#size;
  }

  /**
   * @internal The store applied `patch` (and `touch`, when given). Changes made
   * while it was in flight stay pending for the next commit.
   */
  _patched(
    patch: Pick<SessionPatch, "set" | "unset">,
    touch: SessionPatch["touch"] | undefined,
  ): void {
    const data = this.#record!.data;
    for (const k in patch.set) {
      const v = patch.set[k]!;
      data[k] = v;
      if (this.#set?.get(k) === v) this.#set.delete(k);
    }
    for (const k of patch.unset) {
      delete data[k];
      this.#unset?.delete(k);
    }
    if (touch) this._touched(touch);
  }

  /** @internal The store removed `$name` itself (consumeField): gone from the view, no delete queued. */
  _consumedMeta(name: string): void {
    // Gone from the record first, so dropping it from the view queues no second delete.
    if (this.#record !== null) delete this.#record.data[META_PREFIX + name];
    this.#write(META_PREFIX + name, undefined);
  }

  /** @internal The store moved the idle deadline. */
  _touched(t: { lastSeenAt: number; idleExpiresAt: number }): void {
    const r = this.#record!;
    r.lastSeenAt = t.lastSeenAt;
    r.idleExpiresAt = t.idleExpiresAt;
  }

  /**
   * @internal The record vanished (revoked, destroyed or rotated elsewhere):
   * continue anonymous, sending `clearCookie` (null: leave the cookie alone).
   */
  _lost(clearCookie: string | null): void {
    this._key = null;
    this.#handle = null;
    this.#record = null;
    this.#userId = null;
    this.#fields = null;
    this.#size = 0;
    this.#set = null;
    this.#unset = null;
    this.#decoded = null;
    this.#rotate = null;
    this.#rotatedFrom = undefined;
    this._outCookie = clearCookie;
    // Left alone: no later commit of this request clears it either.
    if (clearCookie === null) this._hadCookie = false;
  }

  /** @internal The cookie must go: dead or invalid, and nothing to keep. */
  _dropCookie(clearCookie: string): void {
    this._outCookie = clearCookie;
    this._hadCookie = false;
  }

  /** @internal Re-read from the store: uncommitted changes dropped. */
  _reloaded(record: StoredSession): void {
    this.#decoded = null;
    this.#set = null;
    this.#unset = null;
    this.#adopt(record);
  }

  #adopt(record: StoredSession): void {
    this.#record = record;
    this.#userId = record.userId;
    this.#fields = null;
    // -1: measured on the first write, so a read-only request never walks the data.
    this.#size = -1;
  }

  #kill(dead: DeadToken): void {
    if (this.#dead === null) this.#dead = [];
    this.#dead.push(dead);
    this._key = null;
    this.#handle = null;
  }

  #hasPatch(): boolean {
    return (
      (this.#set !== null && this.#set.size > 0) || (this.#unset !== null && this.#unset.size > 0)
    );
  }

  #hasFields(): boolean {
    for (const _ in this.#view()) return true;
    return false;
  }

  /** The data as this request sees it (read-only use). */
  #view(): Readonly<Record<string, string>> {
    return this.#fields ?? this.#record?.data ?? EMPTY;
  }

  #raw(key: string): string | undefined {
    const f = this.#fields;
    if (f !== null) return f[key];
    const d = this.#record?.data;
    // Stores' data objects may have a prototype: only own keys are data.
    return d !== undefined && Object.hasOwn(d, key) ? d[key] : undefined;
  }

  /** The data, writable: copied from the record on the first write, so the record stays what the store has. */
  #writable(): Record<string, string> {
    if (this.#fields === null) {
      this.#fields = Object.create(null) as Record<string, string>;
      const d = this.#record?.data;
      if (d !== undefined) Object.assign(this.#fields, d);
    }
    return this.#fields;
  }

  #read(key: string): JsonValue | undefined {
    const cached = this.#decoded?.get(key);
    if (cached !== undefined) return cached;
    const raw = this.#raw(key);
    if (raw === undefined) return undefined;
    const value = decodeValue(raw);
    if (value === undefined) return undefined;
    deepFreeze(value);
    if (this.#decoded === null) this.#decoded = new Map();
    this.#decoded.set(key, value);
    return value;
  }

  #write(key: string, value: JsonValue | undefined): void {
    this._accessed = true;
    const before = this.#raw(key);
    const stored = this.#record === null ? undefined : ownValue(this.#record.data, key);
    if (value === undefined) {
      if (before === undefined) return;
      const size = this._size() - byteLength(key) - byteLength(before);
      delete this.#writable()[key];
      this.#size = size;
      this.#decoded?.delete(key);
      this.#set?.delete(key);
      if (stored !== undefined) {
        if (this.#unset === null) this.#unset = new Set();
        this.#unset.add(key);
      }
      return;
    }
    const text = encodeValue(value, key);
    if (text === before) return;
    const size =
      this._size() -
      (before === undefined ? 0 : byteLength(key) + byteLength(before)) +
      byteLength(key) +
      byteLength(text);
    // A session that is not signed in has its own, smaller limit (issue 10 finding 7).
    const limit = this.#userId === null ? this.#anonymousMaxBytes : this.#maxBytes;
    if (size > limit) throw new SessionTooLargeError(size, limit);
    this.#writable()[key] = text;
    this.#size = size;
    this.#decoded?.delete(key);
    this.#unset?.delete(key);
    if (stored === text) this.#set?.delete(key);
    else {
      if (this.#set === null) this.#set = new Map();
      this.#set.set(key, text);
    }
  }

  #clear(includeMeta: boolean): void {
    for (const k of Object.keys(this.#view())) {
      if (includeMeta || !k.startsWith(META_PREFIX)) this.#write(k, undefined);
    }
  }
}

function ownValue(data: Record<string, string>, key: string): string | undefined {
  return Object.hasOwn(data, key) ? data[key] : undefined;
}
