/**
 * Login and registration throttling on the store's atomic counters
 * (`increment`/`resetCounter`, never fake session records), so every app
 * server sharing the store shares the counts (OWASP Authentication CS,
 * "Login Throttling"; ASVS 5.0 6.3.1).
 *
 * An attempt is **reserved before the password is hashed**: the counter is
 * incremented first, and the value it returns decides, so concurrent guesses
 * each see their own count and at most the allowed number reach the hash
 * (checking first and counting after the hash let 39 of 40 simultaneous
 * guesses through). Three counters, each with its own allowance:
 *
 * - the **account from this address** (`userFreeAttempts`, 5): what a single
 *   attacker meets. Its lock does not touch the account's owner on another
 *   address, so one burst cannot lock a user out (lockout as a weapon);
 * - the **account from anywhere** (`accountFreeAttempts`, 50): distributed
 *   guessing;
 * - the **address** (`ipFreeAttempts`, 100): password spraying across many
 *   names. Counts failures only (a success refunds its reservation), so a
 *   busy NAT of real users is not refused for logging in.
 *
 * Past its allowance a counter lets one attempt through per delay period,
 * the delay doubling from `baseDelay` to `maxDelay` with each failure: a
 * progressive delay, never a lockout. Refused attempts are not counted.
 * Counters are fixed windows of `window`; a success forgets the account's
 * counters. In-process, each account and each address may have only a few
 * verifications in flight at once (`maxInFlight*`), so one client cannot take
 * the whole hashing queue. Registrations have their own per-address budget.
 *
 * Names are keyed by the app's canonical form (`canonicalUsername`: trim,
 * NFKC, lower case by default), so `" victim"`, `"VICTIM\u00a0"` and
 * `"ｖｉｃｔｉｍ"` share one counter with `"victim"`.
 */
import { sha256 } from "../core/crypto.js";
import { type Duration, parseDuration } from "../core/duration.js";
import { ConfigurationError } from "../core/errors.js";
import type { Logger } from "../core/options.js";
import type { SessionStore } from "../core/store.js";
import { MemoryCounters } from "../stores/memory/counters.js";
import { clientAddressKey, usernameKey } from "./keys.js";

/** Options of {@link createLoginThrottle}. */
export interface LoginThrottleOptions {
  /** Where counters live: use the session store, so all app servers see the same counts. */
  store: SessionStore;
  /**
   * Where the throttle warns (a shared store without counters).
   * @default console; `createAuth` passes the session manager's logger
   */
  logger?: Pick<Logger, "warn">;
  /** Failures per account from one address before the first delay. @default 5 */
  userFreeAttempts?: number;
  /** Failures per account from all addresses together before the first delay. @default 50 */
  accountFreeAttempts?: number;
  /**
   * Failures per client address (IPv4, or IPv6 /64) before the first delay.
   * Catches password spraying; high enough for many users behind one NAT. @default 100
   */
  ipFreeAttempts?: number;
  /** First delay (ms or `"1s"`). @default "1s" */
  baseDelay?: Duration;
  /** Longest delay. @default "15m" */
  maxDelay?: Duration;
  /**
   * Counting window: a counter is forgotten this long after its first
   * failure (a success forgets it at once). Long, so that the delays keep
   * growing to `maxDelay` and stay there. @default "24h"
   */
  window?: Duration;
  /** Password verifications one account may have in flight in this process. @default 2 */
  maxInFlightPerUser?: number;
  /** Password hashes (logins and registrations) one address may have in flight in this process. @default 4 */
  maxInFlightPerAddress?: number;
  /** Registrations per address per `registrationWindow`. @default 10 */
  registrationsPerAddress?: number;
  /** @default "1h" */
  registrationWindow?: Duration;
  /** The app's canonical form of a username, for the account counters. @default trim + NFKC + lower case */
  canonicalUsername?: (username: string) => string;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/** `allowed: false` → answer 429 with `Retry-After: retryAfterSeconds`. */
export interface ThrottleDecision {
  allowed: boolean;
  /** Whole seconds until an attempt is allowed again; 0 when allowed. */
  retryAfterSeconds: number;
}

/** A reserved attempt: call `settle` exactly once when the password check is done. */
export interface ThrottleReservation extends ThrottleDecision {
  /** `success` forgets the account's failures and refunds the address; `failure` keeps the count. */
  settle(outcome: "success" | "failure"): Promise<void>;
}

export interface LoginThrottle {
  /** Reserves one password check for this username from this address, before any hashing. */
  reserve(username: string, ip?: string | null): Promise<ThrottleReservation>;
  /** Reserves one registration (one password hash) from this address. */
  reserveRegistration(ip?: string | null): Promise<ThrottleReservation>;
}

const NOTHING: ThrottleReservation["settle"] = async () => {};

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
  const accountFree = options.accountFreeAttempts ?? 50;
  const ipFree = options.ipFreeAttempts ?? 100;
  const base = parseDuration(options.baseDelay ?? "1s", "baseDelay");
  const max = parseDuration(options.maxDelay ?? "15m", "maxDelay");
  const window = parseDuration(options.window ?? "24h", "window");
  const perUser = options.maxInFlightPerUser ?? 2;
  const perAddress = options.maxInFlightPerAddress ?? 4;
  const registrations = options.registrationsPerAddress ?? 10;
  const registrationWindow = parseDuration(
    options.registrationWindow ?? "1h",
    "registrationWindow",
  );
  const canonical = options.canonicalUsername ?? usernameKey;
  if (base <= 0 || max < base || window < max) {
    throw new ConfigurationError("throttle: need 0 < baseDelay ≤ maxDelay ≤ window");
  }
  const counters = countersOf(store, options.logger ?? console);
  const delay = (over: number) => Math.min(max, base * 2 ** Math.min(Math.max(0, over - 1), 40));
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

  // In-process caps on concurrent verifications: a share of the hashing queue per client.
  const inFlight = new Map<string, number>();
  const enter = (key: string, cap: number): boolean => {
    const n = inFlight.get(key) ?? 0;
    if (n >= cap) return false;
    inFlight.set(key, n + 1);
    return true;
  };
  const leave = (key: string) => {
    const n = (inFlight.get(key) ?? 1) - 1;
    if (n <= 0) inFlight.delete(key);
    else inFlight.set(key, n);
  };

  /**
   * Takes one attempt on counter `name`: through while under `free`, then one
   * per delay period (the first attempt to find the period's lock absent
   * creates it). Refused attempts are refunded.
   */
  const take = async (name: string, free: number): Promise<number> => {
    const t = now();
    const n = await counters.increment(name, 1, window, t);
    if (n <= free) return 0;
    const wait = delay(n - free);
    // The attempt that finds the period over opens the next one, twice as long.
    const lock = await counters.increment(`${name}:lock`, 1, delay(n - free + 1), t);
    if (lock === 1) return 0;
    await counters.increment(name, -1, window, t);
    return wait;
  };

  /** After a failure past the allowance, the next attempt waits a full period. */
  const lockAfterFailure = async (name: string, free: number): Promise<void> => {
    const t = now();
    const n = await counters.increment(name, 0, window, t);
    if (n >= free) await counters.increment(`${name}:lock`, 1, delay(n - free + 1), t);
  };

  return {
    async reserve(username, ip) {
      const account = await sha256(`account:${canonical(username)}`);
      const address = ip ? await sha256(`address:${clientAddressKey(ip)}`) : null;
      const userKey = `cr:u:${account}`;
      // No address known: all such attempts are one client.
      const pairKey = `cr:p:${await sha256(`${account}:${address ?? "unknown"}`)}`;
      const addressKey = address ? `cr:a:${address}` : null;

      if (!enter(userKey, perUser))
        return { allowed: false, retryAfterSeconds: 1, settle: NOTHING };
      if (addressKey && !enter(addressKey, perAddress)) {
        leave(userKey);
        return { allowed: false, retryAfterSeconds: 1, settle: NOTHING };
      }
      const release = () => {
        leave(userKey);
        if (addressKey) leave(addressKey);
      };
      const plan: [string, number][] = [
        [pairKey, userFree],
        [userKey, accountFree],
      ];
      if (addressKey) plan.push([addressKey, ipFree]);
      const taken: string[] = [];
      try {
        for (const [name, free] of plan) {
          const wait = await take(name, free);
          if (wait > 0) {
            // Give back what this attempt already took: a refused attempt counts nowhere.
            const t = now();
            await Promise.all(taken.map((k) => counters.increment(k, -1, window, t)));
            release();
            return { allowed: false, retryAfterSeconds: seconds(wait), settle: NOTHING };
          }
          taken.push(name);
        }
      } catch (err) {
        release();
        throw err;
      }
      let settled = false;
      return {
        allowed: true,
        retryAfterSeconds: 0,
        async settle(outcome) {
          if (settled) return;
          settled = true;
          try {
            if (outcome === "success") {
              await Promise.all(
                [pairKey, userKey].flatMap((k) => [
                  counters.resetCounter(k),
                  counters.resetCounter(`${k}:lock`),
                ]),
              );
              if (addressKey) await counters.increment(addressKey, -1, window, now());
            } else {
              for (const [name, free] of plan) await lockAfterFailure(name, free);
            }
          } finally {
            release();
          }
        },
      };
    },

    async reserveRegistration(ip) {
      const address = ip ? await sha256(`address:${clientAddressKey(ip)}`) : "unknown";
      const addressKey = `cr:a:${address}`;
      if (!enter(addressKey, perAddress)) {
        return { allowed: false, retryAfterSeconds: 1, settle: NOTHING };
      }
      try {
        const t = now();
        const n = await counters.increment(`cr:r:${address}`, 1, registrationWindow, t);
        if (n > registrations) {
          await counters.increment(`cr:r:${address}`, -1, registrationWindow, t);
          leave(addressKey);
          return {
            allowed: false,
            retryAfterSeconds: seconds(registrationWindow),
            settle: NOTHING,
          };
        }
      } catch (err) {
        leave(addressKey);
        throw err;
      }
      let settled = false;
      return {
        allowed: true,
        retryAfterSeconds: 0,
        async settle() {
          if (settled) return;
          settled = true;
          leave(addressKey);
        },
      };
    },
  };
}

interface Counters {
  increment(name: string, by: number, ttlMs: number, now: number): Promise<number>;
  resetCounter(name: string): Promise<void>;
}

/** The store's counters; for a store without them, this process's own (with a warning: not shared). */
function countersOf(store: SessionStore, logger: Pick<Logger, "warn">): Counters {
  if (typeof store.increment === "function" && typeof store.resetCounter === "function") {
    return {
      increment: (n, by, ttl, t) => store.increment!(n, by, ttl, t),
      resetCounter: (n) => store.resetCounter!(n),
    };
  }
  if (store.capabilities?.shared) {
    logger.warn(
      `cloakroom/auth: the ${store.kind} store has no counters; login throttling counts in this process only`,
    );
  }
  const local = new MemoryCounters();
  return {
    increment: async (n, by, ttl, t) => local.increment(n, by, ttl, t),
    resetCounter: async (n) => local.reset(n),
  };
}
