/**
 * The session manager: loads a request's session from its cookie, commits
 * the request's changes in one store call, and offers the per-user views
 * (list, revoke) that device pages and "log out everywhere" need.
 * It knows no framework: adapters turn requests into {@link RequestInfo} and
 * apply the {@link CommitOutcome} to their responses.
 */
import {
  cookieName,
  isSecure,
  readToken,
  requestIsSecure,
  serializeClear,
  serializeToken,
} from "./cookies.js";
import { hmac } from "./crypto.js";
import { ConfigurationError, SessionTooLargeError, type StoreUnavailableError } from "./errors.js";
import { type RevokeReason, SessionEvents } from "./events.js";
import { flushLegacyProperties } from "./legacy-properties.js";
import { type ResolvedOptions, resolveOptions, type SessionOptions } from "./options.js";
import {
  emptyFields,
  fieldsOf,
  type RequestInfo,
  Session,
  type SessionInternals,
} from "./session.js";
import { guardStore, type PurgeOptions, type SessionStore, type StoredSession } from "./store.js";
import {
  handleOf,
  handleOfSync,
  isWellFormedToken,
  mintToken,
  type SigningKeys,
  signSecret,
  storeKeyOf,
  TokenVerifier,
} from "./token.js";

const SYNC_HANDLES = handleOfSync("probe") !== undefined;

/** 400 days: the longest Max-Age a browser keeps (RFC 6265bis §4.1.2.2, §5.5). */
const MAX_AGE_CAP_SECONDS = 400 * 24 * 60 * 60;

/** What an adapter must do to its response after {@link SessionManager.commit}. */
export interface CommitOutcome {
  /** A `Set-Cookie` header value to append, or null. */
  setCookie: string | null;
  /** Add `Vary: Cookie`: the response depends on the session. */
  vary: boolean;
  /** A `Cache-Control` value to set (the response carries a session cookie), or null. */
  cacheControl: string | null;
  /** Further `Set-Cookie` values to append once (clearing a legacy cookie). */
  extraSetCookies?: readonly string[];
}

/** One of a user's sessions, as a device list shows it. */
export interface DeviceSession {
  /** Public handle: safe to show and to put in a revoke URL. Never the token. */
  id: string;
  /** True for the session of the request that asked. */
  current: boolean;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  ip: string | null;
  userAgent: string | null;
}

export class SessionManager {
  /** The resolved settings, without the signing keys (those stay private: every handler can reach this object). */
  readonly options: Omit<ResolvedOptions, "keys">;
  readonly events: SessionEvents;
  readonly #keys: SigningKeys;
  readonly #commits = new WeakMap<Session, Promise<CommitOutcome>>();
  readonly #verifier: TokenVerifier;
  /** `Set-Cookie` values a legacy takeover left for the session's first commit. */
  readonly #legacyCookies = new WeakMap<SessionInternals, readonly string[]>();

  constructor(options: SessionOptions) {
    const { keys, ...rest } = resolveOptions(options);
    this.options = rest;
    this.#keys = keys;
    this.#verifier = new TokenVerifier(keys);
    this.events = new SessionEvents((err) =>
      this.options.logger.error("cloakroom: a session event listener threw", { err }),
    );
  }

  get store(): SessionStore {
    return this.options.store;
  }

  /** Printed or serialised (a logged request, an error reporter), a manager shows its store kind only. */
  toJSON(): { sessionManager: string } {
    return { sessionManager: this.options.store.kind };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `SessionManager { store: ${this.options.store.kind} }`;
  }

  /** Subscribes to a lifecycle event; returns the unsubscribe function. */
  on: SessionEvents["on"] = (name, listener) => this.events.on(name, listener);

  /**
   * The request's session. Without a valid signed cookie this costs nothing
   * (no store call) and gives a fresh anonymous session; a malformed, forged
   * or expired cookie does the same, with the reason at debug level.
   * Rejects with {@link StoreUnavailableError} when the store cannot answer.
   */
  async load(req: RequestInfo): Promise<Session> {
    const o = this.options;
    const secure = isSecure(
      o.cookie,
      requestIsSecure(req.encrypted, req.forwardedProto, o.trustProxy),
    );
    const s: SessionInternals = {
      key: null,
      handle: null,
      record: null,
      fields: emptyFields(),
      size: 0,
      pendingSet: new Map(),
      pendingUnset: new Set(),
      userId: null,
      dead: [],
      rotate: null,
      hadCookie: false,
      reissue: false,
      accessed: false,
      secure,
      ip: req.ip ?? null,
      userAgent: req.userAgent ? req.userAgent.slice(0, 512) : null,
      maxBytes: o.maxBytes,
      outCookie: null,
    };
    const token = readToken(req.cookie, cookieName(o.cookie, secure));
    if (o.debug) {
      o.logger.debug(
        `cloakroom: load: cookie ${cookieName(o.cookie, secure)} ${token === undefined ? "absent" : "present"}; request ${secure ? "secure (Secure cookie)" : "not secure (no Secure, no __Host-)"}`,
        { encrypted: req.encrypted, forwardedProto: req.forwardedProto, trustProxy: o.trustProxy },
      );
    }
    if (token === undefined) return o.legacy === undefined ? new Session(s) : this.#legacy(req, s);
    s.hadCookie = true;
    const verified = await this.#verifier.verify(token);
    if (!verified) {
      o.logger.debug("cloakroom: session cookie ignored: malformed or bad signature");
      if (this.events.has("refused")) {
        const reason = isWellFormedToken(token) ? "bad_signature" : "malformed";
        this.#refused(s, reason, null, null);
      }
      return o.legacy === undefined ? new Session(s) : this.#legacy(req, s);
    }
    const key = verified.storeKey;
    const record = await this.#storeCall(() => o.store.get(key, o.now()));
    if (!record) {
      // Expired past its TTL, revoked, or destroyed elsewhere: the store cannot tell which.
      o.logger.debug("cloakroom: session cookie ignored: no such session");
      if (this.events.has("expired") || this.events.has("refused")) {
        const handle = await handleOf(key);
        this.events.emit("expired", { handle, reason: "gone" });
        this.#refused(s, "unknown", handle, null);
      }
      return o.legacy === undefined ? new Session(s) : this.#legacy(req, s);
    }
    const now = o.now();
    if (record.idleExpiresAt <= now || record.absoluteExpiresAt <= now) {
      const reason = record.absoluteExpiresAt <= now ? "absolute" : "idle";
      o.logger.debug(`cloakroom: session cookie ignored: ${reason} timeout`);
      const handle = await handleOf(key);
      this.events.emit("expired", { handle, reason });
      this.#refused(s, "expired", handle, record.userId);
      void this.#destroyQuietly(key);
      return o.legacy === undefined ? new Session(s) : this.#legacy(req, s);
    }
    s.key = key;
    // Derived on first use where hashing is synchronous; up front elsewhere (Web Crypto is async).
    s.handle = SYNC_HANDLES ? undefined : await handleOf(key);
    s.record = record;
    s.userId = record.userId;
    const { fields, size } = fieldsOf(record);
    s.fields = fields;
    s.size = size;
    if (verified.keyIndex > 0) {
      s.reissue = true;
      s.outCookie = serializeToken(
        o.cookie,
        secure,
        await signSecret(this.#keys, verified.secret),
        this.#maxAge(record),
      );
    }
    return new Session(s);
  }

  /** No usable Cloakroom cookie: let the legacy resolver take over another library's session. */
  async #legacy(req: RequestInfo, s: SessionInternals): Promise<Session> {
    const o = this.options;
    const found = await this.#storeCall(() =>
      o.legacy!.load(req, o, { derive: (label) => hmac(this.#keys.keys[0]!, label) }),
    );
    const session = new Session(s);
    if (found === null) return session;
    // Keyed by the internals: adapters wrap the loaded Session in their own subclass instance.
    if (found.setCookies.length > 0) this.#legacyCookies.set(s, found.setCookies);
    const taken = found.session;
    if (taken !== null) {
      s.key = taken.key;
      s.handle = await handleOf(taken.key);
      s.record = taken.record;
      s.userId = taken.record.userId;
      const { fields, size } = fieldsOf(taken.record);
      s.fields = fields;
      s.size = size;
      s.hadCookie = true;
      s.outCookie = serializeToken(
        o.cookie,
        s.secure,
        await signSecret(this.#keys, taken.secret),
        this.#maxAge(taken.record),
      );
    }
    return session;
  }

  /**
   * Writes what the request changed, in one store call where it can:
   * a field-level patch (with the idle-deadline touch folded in when due), a
   * create for a new or rotated session, a delete for a destroyed one.
   * Safe to call more than once; later calls write only newer changes.
   */
  commit(session: Session): Promise<CommitOutcome> {
    const run = this.options.legacyProperties
      ? async () => {
          // Plain-object writes (`req.session.cart.push(x)`) become field-level sets now.
          flushLegacyProperties(session);
          return this.#commit(session);
        }
      : () => this.#commit(session);
    // Commits of one session run in order; a failed one (already reported to its caller) does not block the next.
    const previous = this.#commits.get(session);
    const next = (previous !== undefined ? previous.then(run, run) : run()).finally(() => {
      if (this.#commits.get(session) === next) this.#commits.delete(session);
    });
    this.#commits.set(session, next);
    return next;
  }

  async #commit(session: Session): Promise<CommitOutcome> {
    const o = this.options;
    const s = session._s;
    const now = o.now();
    let cookieChanged = false;

    if (s.dead.length > 0) {
      const dead = s.dead.splice(0);
      await this.#storeCall(() => Promise.all(dead.map((d) => o.store.destroy(d.key))));
      for (const d of dead) {
        if (d.reason === "destroyed")
          this.events.emit("destroyed", { handle: d.handle, userId: d.userId });
      }
      if (s.key === null) cookieChanged = true;
      s.rotatedFrom = dead.find((d) => d.reason === "rotated")?.handle ?? s.rotatedFrom;
    }

    if (s.key === null) {
      if (s.userId !== null || Object.keys(s.fields).length > 0) {
        await this.#create(session, now);
        cookieChanged = true;
      } else if (cookieChanged || (s.hadCookie && s.outCookie === null)) {
        // Dead or invalid cookie and nothing to keep: tell the browser to drop it.
        s.outCookie = serializeClear(o.cookie, s.secure);
        s.hadCookie = false;
      }
    } else {
      const touchDue = now - s.record!.lastSeenAt >= o.touchInterval;
      if (s.pendingSet.size > 0 || s.pendingUnset.size > 0) {
        const touch = touchDue ? this.#touchTimes(s.record!, now) : undefined;
        const set = Object.fromEntries(s.pendingSet);
        const unset = [...s.pendingUnset];
        const result = await this.#storeCall(() =>
          o.store.patch(s.key!, { set, unset, touch, maxBytes: o.maxBytes }, now),
        );
        if (result === "too_large") throw new SessionTooLargeError(s.size, o.maxBytes);
        if (result === "missing") this.#lost(session, "patch");
        else {
          Object.assign(s.record!.data, set);
          for (const k of unset) delete s.record!.data[k];
          if (touch) Object.assign(s.record!, touch);
          s.pendingSet.clear();
          s.pendingUnset.clear();
        }
      } else if (touchDue) {
        const t = this.#touchTimes(s.record!, now);
        const result = await this.#storeCall(() =>
          o.store.patch(s.key!, { set: {}, unset: [], touch: t, maxBytes: o.maxBytes }, now),
        );
        if (result === "ok") Object.assign(s.record!, t);
        else if (result === "missing") this.#lost(session, "touch");
      }
    }

    const hasCookie = s.outCookie !== null;
    if (o.debug) {
      o.logger.debug(
        `cloakroom: commit: ${cookieChanged ? "session created, rotated or ended" : s.key === null ? "nothing stored" : "session kept"}; ${hasCookie ? `Set-Cookie ${s.outCookie!.replace(/=[^;]*/, "=…")}` : "no cookie"}`,
      );
    }
    const outcome: CommitOutcome = {
      setCookie: s.outCookie,
      vary: s.accessed || s.hadCookie || hasCookie,
      cacheControl: hasCookie && o.cacheControl !== false ? o.cacheControl : null,
    };
    const extra = this.#legacyCookies.get(s);
    if (extra !== undefined) {
      this.#legacyCookies.delete(s);
      outcome.extraSetCookies = extra;
      outcome.vary = true;
    }
    return outcome;
  }

  async #create(session: Session, now: number): Promise<void> {
    const o = this.options;
    const s = session._s;
    const absoluteTimeout = s.rotate?.absoluteTimeout ?? o.absoluteTimeout;
    if (s.rotate?.persistent !== undefined) {
      s.fields.$persistent = JSON.stringify(s.rotate.persistent);
    }
    const absoluteExpiresAt = now + absoluteTimeout;
    const record: StoredSession = {
      data: { ...s.fields },
      userId: s.userId,
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: Math.min(now + o.idleTimeout, absoluteExpiresAt),
      absoluteExpiresAt,
      ip: s.ip,
      userAgent: s.userAgent,
    };
    const { token, secret } = await mintToken(this.#keys);
    const key = await storeKeyOf(secret);
    await this.#storeCall(() => o.store.create(key, record));
    s.key = key;
    s.handle = await handleOf(key);
    s.record = record;
    s.pendingSet.clear();
    s.pendingUnset.clear();
    s.outCookie = serializeToken(o.cookie, s.secure, token, this.#maxAge(record));
    if (s.rotatedFrom) {
      this.events.emit("rotated", {
        handle: s.handle,
        previousHandle: s.rotatedFrom,
        userId: s.userId,
      });
    } else {
      this.events.emit("created", { handle: s.handle, userId: s.userId });
    }
    s.rotate = null;
    s.rotatedFrom = undefined;
  }

  /** The session vanished under us (revoked, destroyed or rotated by another request): continue anonymous. */
  #lost(session: Session, what: string): void {
    const s = session._s;
    this.options.logger.debug(
      `cloakroom: ${what} refused: the session no longer exists; continuing anonymous`,
    );
    s.key = null;
    s.handle = null;
    s.record = null;
    s.userId = null;
    s.fields = emptyFields();
    s.size = 0;
    s.pendingSet.clear();
    s.pendingUnset.clear();
    session._resetCache();
    s.outCookie = serializeClear(this.options.cookie, s.secure);
  }

  #touchTimes(record: StoredSession, now: number) {
    return {
      lastSeenAt: now,
      idleExpiresAt: Math.min(now + this.options.idleTimeout, record.absoluteExpiresAt),
    };
  }

  #maxAge(record: StoredSession): number | undefined {
    if (record.data.$persistent !== "true") return undefined;
    const seconds = Math.floor((record.absoluteExpiresAt - this.options.now()) / 1000);
    // Browsers cap Max-Age at 400 days (RFC 6265bis §5.5); the server-side deadline still rules.
    return Math.min(Math.max(0, seconds), MAX_AGE_CAP_SECONDS);
  }

  /** Re-reads the session from the store, dropping uncommitted changes. */
  async reload(session: Session): Promise<void> {
    const s = session._s;
    if (s.key === null) return;
    const record = await this.#storeCall(() => this.options.store.get(s.key!, this.options.now()));
    session._resetCache();
    s.pendingSet.clear();
    s.pendingUnset.clear();
    if (!record) {
      this.#lost(session, "reload");
      return;
    }
    s.record = record;
    s.userId = record.userId;
    const { fields, size } = fieldsOf(record);
    s.fields = fields;
    s.size = size;
  }

  /** The user's live sessions, newest activity first, with `current` marked. */
  async listUserSessions(userId: string, current?: Session | null): Promise<DeviceSession[]> {
    const now = this.options.now();
    const rows = await this.#storeCall(() => this.options.store.listByUser(userId, now));
    const currentKey = current?._s.key ?? null;
    const out: DeviceSession[] = [];
    for (const r of rows) {
      const expiresAt = Math.min(r.idleExpiresAt, r.absoluteExpiresAt);
      if (expiresAt <= now) continue;
      out.push({
        id: await handleOf(r.key),
        current: r.key === currentKey,
        createdAt: r.createdAt,
        lastSeenAt: r.lastSeenAt,
        expiresAt,
        ip: r.ip,
        userAgent: r.userAgent,
      });
    }
    return out.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }

  #refused(
    s: SessionInternals,
    reason: "malformed" | "bad_signature" | "unknown" | "expired",
    handle: string | null,
    userId: string | null,
  ): void {
    this.events.emit("refused", { reason, handle, userId, ip: s.ip, userAgent: s.userAgent });
  }

  /**
   * Ends one of the user's sessions by its public handle. False when the user
   * has no such session. `reason` is passed on to the `revoked` event.
   */
  async revokeSession(
    userId: string,
    handle: string,
    options: { reason?: RevokeReason } = {},
  ): Promise<boolean> {
    const now = this.options.now();
    const rows = await this.#storeCall(() => this.options.store.listByUser(userId, now));
    for (const r of rows) {
      if ((await handleOf(r.key)) === handle) {
        await this.#storeCall(() => this.options.store.destroy(r.key));
        this.events.emit("revoked", {
          userId,
          count: 1,
          handle,
          reason: options.reason ?? "other",
        });
        return true;
      }
    }
    return false;
  }

  /**
   * Ends every session of the user, or every one but `except` ("log out
   * other devices"). Takes effect at once for every server sharing the store.
   * `reason` is passed on to the `revoked` event.
   */
  async revokeUserSessions(
    userId: string,
    options: { except?: Session | null; reason?: RevokeReason } = {},
  ): Promise<number> {
    const exceptKey = options.except?._s.key ?? undefined;
    const count = await this.#storeCall(() => this.options.store.destroyByUser(userId, exceptKey));
    this.events.emit("revoked", { userId, count, reason: options.reason ?? "other" });
    return count;
  }

  /**
   * Takes a single-use value: atomically removes library metadata `$name`
   * from the STORED session if it still holds the string `value`, and
   * resolves true only for the one caller that removed it, whatever the
   * number of racing requests on the session and servers on the store
   * (`SessionStore.consumeField`). The request's own view drops it too.
   * False for a session not stored yet.
   */
  async consumeMeta(session: Session, name: string, value: string): Promise<boolean> {
    const store = this.options.store;
    if (!store.consumeField) {
      throw new ConfigurationError(
        `the ${store.kind} session store has no consumeField: single-use values need it`,
      );
    }
    const s = session._s;
    if (s.key === null || s.record === null) return false;
    const key = s.key;
    const field = `$${name}`;
    const taken = await this.#storeCall(() =>
      store.consumeField!(key, field, value, this.options.now()),
    );
    // Gone from the record first, so dropping it from the view queues no second delete.
    delete s.record.data[field];
    session.setMeta(name, undefined);
    return taken;
  }

  /** Removes expired records; 0 at once for a store whose records expire by themselves. */
  async purgeExpired(options?: PurgeOptions): Promise<number> {
    const store = this.options.store;
    if (!store.purgeExpired) return 0;
    return this.#storeCall(() => store.purgeExpired!(this.options.now(), options));
  }

  async #destroyQuietly(key: string): Promise<void> {
    try {
      await this.options.store.destroy(key);
    } catch (err) {
      this.options.logger.warn("cloakroom: could not remove an expired session", { err });
    }
  }

  /** Store failures surface as {@link StoreUnavailableError}, whatever the store threw. */
  #storeCall<T>(fn: () => Promise<T>): Promise<T> {
    return guardStore(`session store (${this.options.store.kind}) failed`, fn);
  }
}

/**
 * The session manager for an app: one per process, shared by every request.
 * @example
 * const sessions = createSessions({
 *   store: await createStore("sqlite:./data/sessions.db"),
 *   secrets: process.env.SESSION_SECRET!.split(","),
 * });
 */
export function createSessions(options: SessionOptions): SessionManager {
  return new SessionManager(options);
}
