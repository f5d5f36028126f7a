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
import { type NewSessionPlan, type RequestInfo, Session } from "./session.js";
import {
  guardStore,
  type PurgeOptions,
  type SessionStore,
  type StoredSession,
  storeFailure,
} from "./store.js";
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
  /** The session's public id (as `Session.id`): safe to show and to put in a revoke URL. Never the token. */
  id: string;
  /** True for the session of the request that asked. */
  current: boolean;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  ip: string | null;
  userAgent: string | null;
}

/**
 * Loads and commits sessions for one app: verifies the cookie, reads the
 * store, and at the end of the request writes only what changed. Build one
 * with {@link createSessions} and give it to an adapter; handlers reach it as
 * `req.sessions` (to list or revoke a user's sessions, or subscribe to
 * lifecycle events). Nothing secret is reachable from it: the signing keys
 * stay private.
 * @example
 * const sessions = createSessions({ store: await createStore(process.env.SESSION_STORE!), secrets: process.env.SESSION_SECRET! });
 * app.use(session(sessions)); // from "cloakroom-sessions/express"
 */
export class SessionManager {
  /** The resolved settings, without the signing keys (those stay private: every handler can reach this object). */
  readonly options: Omit<ResolvedOptions, "keys">;
  /** Lifecycle events (created, rotated, destroyed, revoked, expired, refused); see {@link SessionManager.on}. */
  readonly events: SessionEvents;
  readonly #keys: SigningKeys;
  readonly #verifier: TokenVerifier;
  /** `Set-Cookie` values a legacy takeover left for the session's first commit. */
  readonly #legacyCookies = new WeakMap<Session, readonly string[]>();

  /** Prefer {@link createSessions}. Throws {@link ConfigurationError} for bad options, at once. */
  constructor(options: SessionOptions) {
    const { keys, ...rest } = resolveOptions(options);
    this.options = rest;
    this.#keys = keys;
    this.#verifier = new TokenVerifier(keys);
    rest.store.useLogger?.(rest.logger);
    this.events = new SessionEvents((err) =>
      this.options.logger.error("cloakroom: a session event listener threw", { err }),
    );
  }

  /** The store sessions live in (also where `cloakroom-sessions/auth` keeps its throttle counters). */
  get store(): SessionStore {
    return this.options.store;
  }

  /** Printed or serialised (a logged request, an error reporter), a manager shows its store kind only. */
  toJSON(): { sessionManager: string } {
    return { sessionManager: this.options.store.kind };
  }

  /** `util.inspect` (console.log) shows the store kind only, as `toJSON` does. */
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
   * @param into a new, unused session object to load into (adapters pass
   * their own subclass, so a request has one session object); by default a
   * plain {@link Session}
   */
  async load<S extends Session = Session>(req: RequestInfo, into?: S): Promise<S> {
    const o = this.options;
    const session = into ?? (new Session() as S);
    const token = this.#begin(req, session);
    const secure = session._secure;
    if (o.debug) {
      o.logger.debug(
        `cloakroom: load: cookie ${cookieName(o.cookie, secure)} ${token === undefined ? "absent" : "present"}; request ${secure ? "secure (Secure cookie)" : "not secure (no Secure, no __Host-)"}`,
        { encrypted: req.encrypted, forwardedProto: req.forwardedProto, trustProxy: o.trustProxy },
      );
    }
    if (token === undefined) return o.legacy === undefined ? session : this.#legacy(req, session);
    session._hadCookie = true;
    // A cached token without an await: a read whose store answers from memory stays one step shorter.
    const verified = this.#verifier.verifyCached(token) ?? (await this.#verifier.verify(token));
    if (!verified) {
      o.logger.debug("cloakroom: session cookie ignored: malformed or bad signature");
      if (this.events.has("refused")) {
        const reason = isWellFormedToken(token) ? "bad_signature" : "malformed";
        this.#refused(session, reason, null, null);
      }
      return o.legacy === undefined ? session : this.#legacy(req, session);
    }
    const key = verified.storeKey;
    let record: StoredSession | null;
    try {
      record = await o.store.get(key, o.now());
    } catch (err) {
      throw this.#unavailable(err);
    }
    if (!record) {
      // Expired past its TTL, revoked, or destroyed elsewhere: the store cannot tell which.
      o.logger.debug("cloakroom: session cookie ignored: no such session");
      if (this.events.has("expired") || this.events.has("refused")) {
        const handle = await handleOf(key);
        this.events.emit("expired", { id: handle, handle, reason: "gone" });
        this.#refused(session, "unknown", handle, null);
      }
      return o.legacy === undefined ? session : this.#legacy(req, session);
    }
    const now = o.now();
    if (record.idleExpiresAt <= now || record.absoluteExpiresAt <= now) {
      const reason = record.absoluteExpiresAt <= now ? "absolute" : "idle";
      o.logger.debug(`cloakroom: session cookie ignored: ${reason} timeout`);
      const handle = await handleOf(key);
      this.events.emit("expired", { id: handle, handle, reason });
      this.#refused(session, "expired", handle, record.userId);
      void this.#destroyQuietly(key);
      return o.legacy === undefined ? session : this.#legacy(req, session);
    }
    // Derived on first use where hashing is synchronous; up front elsewhere (Web Crypto is async).
    session._loaded(key, record, SYNC_HANDLES ? undefined : await handleOf(key));
    if (verified.keyIndex > 0) {
      session._outCookie = serializeToken(
        o.cookie,
        secure,
        await signSecret(this.#keys, verified.secret),
        this.#maxAge(record),
      );
    }
    return session;
  }

  /**
   * {@link SessionManager.load} without waiting, where nothing needs I/O: a
   * request without a session cookie, or a cookie this manager has verified
   * before whose live session the store answers from memory
   * ({@link SessionStore.peek}: the memory store, a near cache). Undefined
   * for anything else; the adapter then calls `load` with the same session
   * object. Saves a cached read the promises and microtask turns of `load`.
   * @internal for adapters
   */
  loadNow<S extends Session>(req: RequestInfo, into: S): S | undefined {
    const o = this.options;
    // The slower paths log, take over legacy cookies or emit events: `load` does all that.
    if (o.debug || o.legacy !== undefined) return undefined;
    const token = this.#begin(req, into);
    if (token === undefined) return into;
    if (o.store.peek === undefined || !SYNC_HANDLES) return undefined;
    const verified = this.#verifier.verifyCached(token);
    if (verified === undefined || verified.keyIndex > 0) return undefined;
    const now = o.now();
    let record: StoredSession | null | undefined;
    try {
      record = o.store.peek(verified.storeKey, now);
    } catch {
      return undefined; // `load` asks again through `get`, and reports a failure as a store outage.
    }
    if (!record || record.idleExpiresAt <= now || record.absoluteExpiresAt <= now) return undefined;
    into._hadCookie = true;
    into._loaded(verified.storeKey, record, undefined);
    return into;
  }

  /** Starts a request's session (security flags, limits, client); returns the request's token, if any. */
  #begin(req: RequestInfo, session: Session): string | undefined {
    const o = this.options;
    const secure = isSecure(
      o.cookie,
      requestIsSecure(req.encrypted, req.forwardedProto, o.trustProxy),
    );
    const ua = req.userAgent;
    session._begin(secure, o.maxBytes, req, ua ? ua.slice(0, 512) : null, o.anonymousMaxBytes);
    return readToken(req.cookie, cookieName(o.cookie, secure));
  }

  /** No usable Cloakroom cookie: let the legacy resolver take over another library's session. */
  async #legacy<S extends Session>(req: RequestInfo, session: S): Promise<S> {
    const o = this.options;
    const found = await this.#storeCall(() =>
      o.legacy!.load(req, o, { derive: (label) => hmac(this.#keys.keys[0]!, label) }),
    );
    if (found === null) return session;
    if (found.setCookies.length > 0) this.#legacyCookies.set(session, found.setCookies);
    const taken = found.session;
    if (taken !== null) {
      session._loaded(taken.key, taken.record, await handleOf(taken.key));
      session._hadCookie = true;
      session._outCookie = serializeToken(
        o.cookie,
        session._secure,
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
    // Commits of one session run in order; a failed one (already reported to its caller) does not block the next.
    const previous = session._lastCommit;
    const next =
      previous === null
        ? this.#run(session)
        : previous.then(
            () => this.#run(session),
            () => this.#run(session),
          );
    session._lastCommit = next;
    return next;
  }

  #run(session: Session): Promise<CommitOutcome> {
    return this.options.legacyProperties ? this.#commitLegacy(session) : this.#commit(session);
  }

  async #commitLegacy(session: Session): Promise<CommitOutcome> {
    // Plain-object writes (`req.session.cart.push(x)`) become field-level sets now.
    flushLegacyProperties(session);
    return this.#commit(session);
  }

  /**
   * The commit's outcome at once when committing needs no store call (nothing
   * changed, nothing to delete, no touch due, no cookie to clear), else null
   * and the adapter awaits {@link commit}. Most requests only read: this spares
   * them a promise chain and a trip through the microtask queue.
   */
  settledOutcome(session: Session): CommitOutcome | null {
    const o = this.options;
    if (session._lastCommit !== null || session.isDirty || o.debug) return null;
    // Handlers may have written plain properties that only the commit's flush turns into sets.
    if (o.legacyProperties) return null;
    if (this.#legacyCookies.has(session)) return null;
    const record = session._record;
    if (record === null) {
      if (session._hadCookie && session._outCookie === null) return null;
    } else if (o.now() - record.lastSeenAt >= o.touchInterval) {
      return null;
    }
    return this.#outcome(session);
  }

  async #commit(session: Session): Promise<CommitOutcome> {
    const o = this.options;
    const now = o.now();
    let cookieChanged = false;

    const dead = session._takeDead();
    // A rotation that carries something over replaces its old record in one
    // conditional store step (`store.rotate`), never destroy-then-create: a
    // request that loaded the session before it was revoked must not bring it
    // back under a new token (issue 10 finding 8).
    const plan = session._key === null ? session._newSession() : null;
    const rotated = plan !== null ? dead?.find((d) => d.reason === "rotated") : undefined;
    if (dead !== null) {
      const gone = rotated === undefined ? dead : dead.filter((d) => d !== rotated);
      if (gone.length > 0)
        await this.#storeCall(() => Promise.all(gone.map((d) => o.store.destroy(d.key))));
      for (const d of dead) {
        if (d.reason === "destroyed")
          this.events.emit("destroyed", { id: d.handle, handle: d.handle, userId: d.userId });
      }
      if (session._key === null) cookieChanged = true;
    }

    if (session._key === null) {
      if (plan !== null) {
        // False when the rotated record was gone: the request is left anonymous, its cookie cleared.
        await this.#create(session, plan, now, rotated?.key);
        cookieChanged = true;
      } else if (cookieChanged || (session._hadCookie && session._outCookie === null)) {
        // Dead or invalid cookie and nothing to keep: tell the browser to drop it.
        session._dropCookie(serializeClear(o.cookie, session._secure));
      }
    } else {
      const record = session._record!;
      const touchDue = now - record.lastSeenAt >= o.touchInterval;
      const patch = session._patch();
      if (patch !== null) {
        const touch = touchDue ? this.#touchTimes(record, now) : undefined;
        const key = session._key;
        // The store checks the limit atomically, the anonymous one for a session not signed in.
        const maxBytes = record.userId === null ? o.anonymousMaxBytes : o.maxBytes;
        let result: Awaited<ReturnType<SessionStore["patch"]>>;
        try {
          result = await o.store.patch(key, { ...patch, touch, maxBytes }, now);
        } catch (err) {
          throw this.#unavailable(err);
        }
        if (result === "too_large") throw new SessionTooLargeError(session._size(), maxBytes);
        if (result === "missing") this.#lost(session, "patch");
        else session._patched(patch, touch);
      } else if (touchDue) {
        const t = this.#touchTimes(record, now);
        const key = session._key;
        let result: Awaited<ReturnType<SessionStore["patch"]>>;
        try {
          result = await o.store.patch(
            key,
            { set: {}, unset: [], touch: t, maxBytes: o.maxBytes },
            now,
          );
        } catch (err) {
          throw this.#unavailable(err);
        }
        if (result === "ok") session._touched(t);
        else if (result === "missing") this.#lost(session, "touch");
      }
    }

    const outcome = this.#outcome(session);
    if (o.debug) {
      const cookie = session._outCookie;
      o.logger.debug(
        `cloakroom: commit: ${cookieChanged ? "session created, rotated or ended" : session._key === null ? "nothing stored" : "session kept"}; ${cookie !== null ? `Set-Cookie ${cookie.replace(/=[^;]*/, "=…")}` : "no cookie"}`,
      );
    }
    const extra = this.#legacyCookies.get(session);
    if (extra !== undefined) {
      this.#legacyCookies.delete(session);
      outcome.extraSetCookies = extra;
      outcome.vary = true;
    }
    return outcome;
  }

  #outcome(session: Session): CommitOutcome {
    const cookie = session._outCookie;
    const cacheControl = this.options.cacheControl;
    return {
      setCookie: cookie,
      vary: session._accessed || session._hadCookie || cookie !== null,
      cacheControl: cookie !== null && cacheControl !== false ? cacheControl : null,
    };
  }

  /**
   * Stores the new session; with `replaces`, as the rotation of that record.
   * False when the record to rotate was gone: nothing is written and the
   * request continues anonymous, as after any lost session.
   */
  async #create(
    session: Session,
    plan: NewSessionPlan,
    now: number,
    replaces?: string,
  ): Promise<boolean> {
    const o = this.options;
    const absoluteExpiresAt = now + (plan.absoluteTimeout ?? o.absoluteTimeout);
    const record: StoredSession = {
      data: plan.data,
      userId: plan.userId,
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: Math.min(now + o.idleTimeout, absoluteExpiresAt),
      absoluteExpiresAt,
      ip: plan.ip,
      userAgent: plan.userAgent,
    };
    const { token, secret } = await mintToken(this.#keys);
    const key = await storeKeyOf(secret);
    if (replaces === undefined) {
      await this.#storeCall(() => o.store.create(key, record));
    } else {
      const result = await this.#storeCall(() => o.store.rotate(replaces, key, record, now));
      if (result === "missing") {
        // Revoked, destroyed, or rotated by a sibling request: continue
        // anonymous. The cookie is left alone (no clearing Set-Cookie): a
        // sibling that won the rotation may be setting the new one, and the
        // dead one is cleared by whichever request next presents it.
        this.options.logger.debug(
          "cloakroom: rotation refused: the session no longer exists; continuing anonymous",
        );
        session._lost(null);
        return false;
      }
    }
    const handle = await handleOf(key);
    const cookie = serializeToken(o.cookie, session._secure, token, this.#maxAge(record));
    const previousHandle = session._created(key, handle, record, cookie);
    if (previousHandle) {
      this.events.emit("rotated", {
        id: handle,
        handle,
        previousId: previousHandle,
        previousHandle,
        userId: plan.userId,
      });
    } else {
      this.events.emit("created", { id: handle, handle, userId: plan.userId });
    }
    return true;
  }

  /** The session vanished under us (revoked, destroyed or rotated by another request): continue anonymous. */
  #lost(session: Session, what: string): void {
    this.options.logger.debug(
      `cloakroom: ${what} refused: the session no longer exists; continuing anonymous`,
    );
    session._lost(serializeClear(this.options.cookie, session._secure));
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
    const key = session._key;
    if (key === null) return;
    const record = await this.#storeCall(() => this.options.store.get(key, this.options.now()));
    if (!record) {
      this.#lost(session, "reload");
      return;
    }
    session._reloaded(record);
  }

  /** The user's live sessions, newest activity first, with `current` marked. */
  async listUserSessions(userId: string, current?: Session | null): Promise<DeviceSession[]> {
    const now = this.options.now();
    const rows = await this.#storeCall(() => this.options.store.listByUser(userId, now));
    const currentKey = current?._key ?? null;
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
    session: Session,
    reason: "malformed" | "bad_signature" | "unknown" | "expired",
    handle: string | null,
    userId: string | null,
  ): void {
    this.events.emit("refused", {
      reason,
      id: handle,
      handle,
      userId,
      ip: session._ip,
      userAgent: session._userAgent,
    });
  }

  /**
   * Ends one of the user's sessions by its public id (`Session.id`,
   * `DeviceSession.id`). False when the user has no such session. `reason` is
   * passed on to the `revoked` event.
   */
  async revokeSession(
    userId: string,
    id: string,
    options: { reason?: RevokeReason } = {},
  ): Promise<boolean> {
    const now = this.options.now();
    const rows = await this.#storeCall(() => this.options.store.listByUser(userId, now));
    for (const r of rows) {
      if ((await handleOf(r.key)) === id) {
        await this.#storeCall(() => this.options.store.destroy(r.key));
        this.events.emit("revoked", {
          userId,
          count: 1,
          id,
          handle: id,
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
    const exceptKey = options.except?._key ?? undefined;
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
    const key = session._key;
    if (key === null || session._record === null) return false;
    const field = `$${name}`;
    const taken = await this.#storeCall(() =>
      store.consumeField!(key, field, value, this.options.now()),
    );
    session._consumedMeta(name);
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

  #unavailable(err: unknown): unknown {
    return storeFailure(err, `session store (${this.options.store.kind}) failed`);
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
