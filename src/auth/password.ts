/**
 * Password hashing with argon2id through the optional peer `@node-rs/argon2`
 * (imported lazily: apps that never hash do not need it).
 *
 * Policy, stated once:
 * - Parameters default to the OWASP Password Storage Cheat Sheet's argon2id
 *   row m=19456 KiB, t=2, p=1. Hashes are PHC strings carrying their
 *   parameters, so `verify` can tell when a stored hash is out of date.
 * - Passwords are Unicode-normalised to NFC at hashing and at verifying, as
 *   the RFC 8265 OpaqueString profile does, so "é" typed as U+00E9 or as
 *   "e" + U+0301 is the same password. Nothing else changes: no trimming, no
 *   case folding, no truncation (ASVS 5.0 6.2.8).
 * - Length: at least 8 characters (ASVS 5.0 6.2.1) to hash, at most 1024
 *   (checked before any work, against long-password DoS: AUTH-07).
 * - Hashing runs behind a small gate: a bounded number at once, a bounded
 *   queue, {@link AuthBusyError} past it, so a burst of logins cannot starve
 *   the event loop's CPU (PW-08).
 */
import { base64url, randomBytes } from "../core/crypto.js";
import { ConfigurationError } from "../core/errors.js";
import { importDriver } from "../util/driver.js";
import { AuthBusyError, PasswordRejectedError } from "./errors.js";
import { Gate } from "./gate.js";

type Argon2 = typeof import("@node-rs/argon2");

/** The OWASP Password Storage Cheat Sheet argon2id parameters (19 MiB, 2 passes, 1 lane). */
export const OWASP_ARGON2ID = Object.freeze({ memoryCost: 19456, timeCost: 2, parallelism: 1 });

/** Options of {@link createPasswordHasher}. */
export interface PasswordOptions {
  /** Memory in KiB. @default 19456 */
  memoryCost?: number;
  /** Passes. @default 2 */
  timeCost?: number;
  /** Lanes. @default 1 */
  parallelism?: number;
  /** Shortest password `hash` accepts. @default 8 */
  minLength?: number;
  /** Longest password accepted anywhere, in UTF-16 code units; longer is refused unhashed. @default 1024 */
  maxLength?: number;
  /** Hashes computed at once. @default one less than the CPU count, at least 1 */
  maxConcurrent?: number;
  /** Hashes allowed to wait; past this {@link AuthBusyError}. @default 256 */
  maxQueue?: number;
}

/** Outcome of a verification. `needsRehash`: correct password, stored with other parameters. */
export interface VerifyResult {
  ok: boolean;
  needsRehash: boolean;
}

export interface PasswordHasher {
  readonly params: Readonly<{ memoryCost: number; timeCost: number; parallelism: number }>;
  readonly minLength: number;
  readonly maxLength: number;
  /** A PHC string of the password; throws {@link PasswordRejectedError} when the policy refuses it. */
  hash(password: unknown): Promise<string>;
  /**
   * Checks a password against a stored hash. Never throws for bad input: a
   * malformed hash or password is `ok: false` (a malformed hash after the cost of a real check).
   */
  verify(storedHash: string, password: unknown): Promise<VerifyResult>;
  /**
   * Costs what `verify` costs and always fails: use it for unknown users so
   * that "no such user" and "wrong password" take the same time (AUTH-02).
   */
  verifyDummy(password: unknown): Promise<VerifyResult>;
  /** True when a stored hash is not argon2id with the current parameters. */
  needsRehash(storedHash: string): boolean;
  /** Why `password` is refused for hashing, or null when it is fine. Never echoes it. */
  policyError(password: unknown): string | null;
}

const PHC = /^\$argon2(id|i|d)\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
const FAIL: VerifyResult = Object.freeze({ ok: false, needsRehash: false });

let argon2: Promise<Argon2> | undefined;
function loadArgon2(): Promise<Argon2> {
  argon2 ??= importDriver<Argon2>("@node-rs/argon2", "Password hashing (cloakroom-sessions/auth)");
  return argon2;
}

function defaultConcurrency(): number {
  const os = (
    globalThis as {
      process?: { getBuiltinModule?: (id: string) => { availableParallelism?: () => number } };
    }
  ).process?.getBuiltinModule?.("node:os");
  // Leave one core to the event loop: hashing is pure CPU (19 MiB, 2 passes ≈ 30–60 ms a hash).
  return Math.max(1, (os?.availableParallelism?.() ?? 2) - 1);
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigurationError(`${name}: ${value} must be a positive integer`);
  }
  return value;
}

/**
 * A hasher with its own parameters and gate. `createAuth` makes one; make
 * your own to hash at registration with the same settings.
 * @example
 * const hasher = createPasswordHasher(); // OWASP argon2id
 * const hash = await hasher.hash("correct horse battery staple");
 * const { ok, needsRehash } = await hasher.verify(hash, input);
 */
export function createPasswordHasher(options: PasswordOptions = {}): PasswordHasher {
  const params = Object.freeze({
    memoryCost: positiveInt(options.memoryCost ?? OWASP_ARGON2ID.memoryCost, "memoryCost"),
    timeCost: positiveInt(options.timeCost ?? OWASP_ARGON2ID.timeCost, "timeCost"),
    parallelism: positiveInt(options.parallelism ?? OWASP_ARGON2ID.parallelism, "parallelism"),
  });
  const minLength = options.minLength ?? 8;
  const maxLength = positiveInt(options.maxLength ?? 1024, "maxLength");
  const gate = new Gate(
    positiveInt(options.maxConcurrent ?? defaultConcurrency(), "maxConcurrent"),
    options.maxQueue ?? 256,
    (waiting) => new AuthBusyError(waiting),
  );
  // argon2id is algorithm 2 in @node-rs/argon2; its `Algorithm` is a const enum we cannot import under isolatedModules.
  const hashOptions = { ...params, algorithm: 2 as const };
  let dummy: Promise<string> | undefined;

  const usable = (pw: unknown): pw is string => typeof pw === "string" && pw.length <= maxLength;

  const hasher: PasswordHasher = {
    params,
    minLength,
    maxLength,
    policyError(pw) {
      if (typeof pw !== "string") return "the password must be a string";
      if (pw.length > maxLength) return `passwords are limited to ${maxLength} characters`;
      if ([...pw.normalize("NFC")].length < minLength) {
        return `passwords need at least ${minLength} characters`;
      }
      return null;
    },
    async hash(pw) {
      const problem = hasher.policyError(pw);
      if (problem !== null) throw new PasswordRejectedError(problem);
      const a = await loadArgon2();
      return gate.run(() => a.hash((pw as string).normalize("NFC"), hashOptions));
    },
    async verify(storedHash, pw) {
      if (!usable(pw)) return FAIL;
      // An account without a readable hash (disabled, SSO-only) must cost what a real check costs (AUTH-01/02).
      if (typeof storedHash !== "string" || !PHC.test(storedHash)) return hasher.verifyDummy(pw);
      const a = await loadArgon2();
      let ok: boolean;
      try {
        ok = await gate.run(() => a.verify(storedHash, pw.normalize("NFC")));
      } catch (err) {
        if (err instanceof AuthBusyError) throw err;
        return FAIL; // a hash the library cannot read: fail closed, as for a wrong password
      }
      return ok ? { ok: true, needsRehash: hasher.needsRehash(storedHash) } : FAIL;
    },
    async verifyDummy(pw) {
      if (!usable(pw)) return FAIL;
      // Computed once, lazily, with the current parameters, so it costs what a real user's hash costs.
      dummy ??= hasher.hash(base64url(randomBytes(24)));
      const a = await loadArgon2();
      const stored = await dummy;
      await gate.run(() => a.verify(stored, pw.normalize("NFC")));
      return FAIL;
    },
    needsRehash(storedHash) {
      const m = PHC.exec(storedHash);
      if (!m) return true;
      return (
        m[1] !== "id" ||
        m[2] !== "19" ||
        Number(m[3]) !== params.memoryCost ||
        Number(m[4]) !== params.timeCost ||
        Number(m[5]) !== params.parallelism
      );
    },
  };
  return hasher;
}

let shared: PasswordHasher | undefined;
const defaultHasher = () => {
  shared ??= createPasswordHasher();
  return shared;
};

/**
 * Hashes with the default (OWASP argon2id) hasher.
 * @example await users.insert({ username, passwordHash: await hashPassword(password) })
 */
export function hashPassword(password: string): Promise<string> {
  return defaultHasher().hash(password);
}

/** Verifies with the default hasher. @example const { ok, needsRehash } = await verifyPassword(row.hash, input) */
export function verifyPassword(storedHash: string, password: string): Promise<VerifyResult> {
  return defaultHasher().verify(storedHash, password);
}
