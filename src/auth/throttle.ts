/**
 * Login throttling kept in a {@link SessionStore}, so every app server that
 * shares the session store shares the counters (OWASP Authentication CS,
 * "Login Throttling"; ASVS 5.0 6.3.1).
 *
 * One record per username and one per client address, keyed by SHA-256 of
 * `throttle:user:<name>` / `throttle:ip:<addr>` (43 base64url characters, the
 * shape of a session key; no cookie can ever name one, since a session key is
 * the hash of a signed 256-bit token). Each failure is written as its own
 * field `f<random>` = time, through the store's field-level `patch`: the
 * contract guarantees that patches to different keys all survive, so
 * concurrent failures on several servers are all counted, with no
 * read-modify-write race. What remains is the birth of a record: failures
 * on one server are queued per key, so only servers racing to create the
 * same record at the same moment can lose those first few counts (on stores
 * whose `create` overwrites, such as Redis; SQL stores refuse the second
 * insert and we add to the winner's record instead).
 *
 * Delays grow: after `freeAttempts` failures the key is locked for
 * `baseDelay`, doubling with each further failure up to `maxDelay`. Attempts
 * refused while locked are not checked and not counted, so an attacker gets
 * one guess per lock period. A record is forgotten `window` after its last
 * failure. The username lock is a delay, never a permanent lockout, so it
 * cannot be used to shut a user out for good (AUTH-04).
 */
import { base64url, randomBytes, sha256 } from "../core/crypto.js";
import { type Duration, parseDuration } from "../core/duration.js";
import { ConfigurationError } from "../core/errors.js";
import type { SessionStore, StoredSession } from "../core/store.js";
import { clientAddressKey, usernameKey } from "./keys.js";

/** Options of {@link createLoginThrottle}. */
export interface LoginThrottleOptions {
  /** Where counters live: use the session store, so all app servers see the same counts. */
  store: SessionStore;
  /** Failures per username before the first delay. @default 5 */
  userFreeAttempts?: number;
  /**
   * Failures per client address (IPv4, or IPv6 /64) before the first delay.
   * Catches password spraying across many usernames. @default 20
   */
  ipFreeAttempts?: number;
  /** First delay (ms or `"1s"`). @default "1s" */
  baseDelay?: Duration;
  /** Longest delay. @default "15m" */
  maxDelay?: Duration;
  /** A key is forgotten this long after its last failure. @default "1h" */
  window?: Duration;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/** `allowed: false` → answer 429 with `Retry-After: retryAfterSeconds`. */
export interface ThrottleDecision {
  allowed: boolean;
  /** Whole seconds until an attempt is allowed again; 0 when allowed. */
  retryAfterSeconds: number;
}

export interface LoginThrottle {
  /** May this username try from this address now? Reads only. */
  check(username: string, ip?: string | null): Promise<ThrottleDecision>;
  /** Records a failed attempt against the username and the address. */
  fail(username: string, ip?: string | null): Promise<void>;
  /**
   * Forgets the username's failures. The address's are kept: clearing them
   * would let a sprayer reset its count by logging into an account of its own.
   */
  succeed(username: string, ip?: string | null): Promise<void>;
}

const DAY = 86_400_000;
const FIELD = /^f[A-Za-z0-9_-]{8}$/;

/**
 * @example
 * const throttle = createLoginThrottle({ store: sessions.store });
 * const auth = createAuth({ sessions, users, throttle });
 */
export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const store = options.store;
  if (typeof store?.get !== "function") throw new ConfigurationError("throttle: pass a store");
  const now = options.now ?? Date.now;
  const userFree = options.userFreeAttempts ?? 5;
  const ipFree = options.ipFreeAttempts ?? 20;
  const base = parseDuration(options.baseDelay ?? "1s", "baseDelay");
  const max = parseDuration(options.maxDelay ?? "15m", "maxDelay");
  const window = parseDuration(options.window ?? "1h", "window");
  if (base <= 0 || max < base || window < max) {
    throw new ConfigurationError("throttle: need 0 < baseDelay ≤ maxDelay ≤ window");
  }
  // Past this many failures the delay is already `max`: further fields would add nothing but bytes.
  const doublings = Math.ceil(Math.log2(max / base));

  const keysOf = async (username: string, ip: string | null | undefined) => {
    const out: { key: string; free: number }[] = [
      { key: await sha256(`throttle:user:${usernameKey(username)}`), free: userFree },
    ];
    if (ip) out.push({ key: await sha256(`throttle:ip:${clientAddressKey(ip)}`), free: ipFree });
    return out;
  };

  const lockedUntil = (record: StoredSession | null, free: number): number => {
    if (!record) return 0;
    let count = 0;
    let last = 0;
    for (const [k, v] of Object.entries(record.data)) {
      if (k === "last") last = Math.max(last, Number(v) || 0);
      if (!FIELD.test(k)) continue;
      count++;
      last = Math.max(last, Number(v) || 0);
    }
    if (count < free) return 0;
    return last + Math.min(max, base * 2 ** Math.min(count - free, doublings));
  };

  const failOne = async (key: string, free: number, t: number): Promise<void> => {
    const field = `f${base64url(randomBytes(6))}`;
    const touch = { lastSeenAt: t, idleExpiresAt: t + window };
    const existing = await store.get(key, t);
    if (existing) {
      const count = Object.keys(existing.data).filter((k) => FIELD.test(k)).length;
      // Saturated: the delay is already the longest; only the time of this failure matters now.
      const set = count > free + doublings ? { last: String(t) } : { [field]: String(t) };
      const result = await store.patch(key, { set, unset: [], touch, maxBytes: 16 * 1024 }, t);
      if (result !== "missing") return;
    }
    const record: StoredSession = {
      data: { [field]: String(t) },
      userId: null,
      createdAt: t,
      lastSeenAt: t,
      idleExpiresAt: t + window,
      absoluteExpiresAt: t + DAY,
      ip: null,
      userAgent: null,
    };
    try {
      await store.create(key, record);
    } catch (err) {
      // Another server created it first (a store with unique keys refuses the second create): add to theirs.
      const result = await store.patch(
        key,
        { set: { [field]: String(t) }, unset: [], touch, maxBytes: 16 * 1024 },
        t,
      );
      if (result === "missing") throw err;
    }
  };

  // Per-key queue within this process, so a burst on one server never races itself at `create`.
  const queues = new Map<string, Promise<void>>();
  const serialized = (key: string, task: () => Promise<void>): Promise<void> => {
    const run = (queues.get(key) ?? Promise.resolve()).then(task, task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    queues.set(key, tail);
    void tail.then(() => {
      if (queues.get(key) === tail) queues.delete(key);
    });
    return run;
  };

  return {
    async check(username, ip) {
      const t = now();
      const keys = await keysOf(username, ip);
      const records = await Promise.all(keys.map((k) => store.get(k.key, t)));
      let until = 0;
      keys.forEach((k, i) => {
        until = Math.max(until, lockedUntil(records[i] ?? null, k.free));
      });
      const retryAfterSeconds = until > t ? Math.ceil((until - t) / 1000) : 0;
      return { allowed: retryAfterSeconds === 0, retryAfterSeconds };
    },
    async fail(username, ip) {
      const t = now();
      const keys = await keysOf(username, ip);
      await Promise.all(keys.map((k) => serialized(k.key, () => failOne(k.key, k.free, t))));
    },
    async succeed(username) {
      const [user] = await keysOf(username, null);
      await store.destroy(user!.key);
    },
  };
}
