import type { PasskeyDirectory, PasswordHashReason } from "../lib.js";

/**
 * Where the demo's users live. Deliberately small: Cloakroom keeps sessions,
 * not accounts, so an app brings its own user table; this is the demo's.
 * Roles are read from here on every request, so a role change applies at
 * once to every session of that user.
 */

export interface User {
  /** Stable id, stored as the session's `userId`. */
  id: string;
  /** Unique, stored lower-case (NFC) so "Alice" and "alice" are one account. */
  username: string;
  /** argon2id PHC string; never leaves the server. Empty for a passkey-only account. */
  passwordHash: string;
  roles: string[];
  /**
   * Bumped by every password change (not by a rehash): each session keeps
   * the version it was signed in under, and one signed in under an older
   * version is not signed in, on every server (issue 10 finding 2).
   */
  credentialVersion: number;
  /** ms since the epoch. */
  createdAt: number;
}

export interface NewUser {
  /** Chosen up front for a passkey sign-up (it is the WebAuthn user handle); generated otherwise. */
  id?: string;
  username: string;
  passwordHash: string;
  roles: string[];
}

export interface UserDirectory {
  readonly kind: "sqlite" | "postgres";
  /** Creates or upgrades the table; idempotent and safe to run from two processes. */
  migrate(): Promise<void>;
  /** Takes the name as typed; normalised here (see {@link normalizeUsername}). */
  findByUsername(username: string): Promise<User | null>;
  findById(id: string): Promise<User | null>;
  /**
   * Stores a new hash; `"change"` also bumps `credentialVersion` in the same
   * statement, `"rehash"` (cloakroom-sessions/auth on login when its
   * parameters changed: the same password) keeps it, and writes only over
   * `replacing`, the hash it verified.
   */
  setPasswordHash(
    id: string,
    passwordHash: string,
    reason: PasswordHashReason,
    replacing?: string,
  ): Promise<void>;
  /** The new user, or null when the username is taken. */
  create(user: NewUser): Promise<User | null>;
  /** The user's passkeys (the `demo_passkeys` table in the same database). */
  readonly passkeys: PasskeyDirectory;
  /** Every user, by username. */
  list(): Promise<User[]>;
  /** False when there is no such user. */
  setRoles(username: string, roles: string[]): Promise<boolean>;
  close(): Promise<void>;
}

/** 3–32 of `a-z 0-9 . _ -` after lower-casing: safe in URLs and in HTML without surprises. */
export const USERNAME_PATTERN = /^[a-z0-9._-]{3,32}$/;

/** The canonical form of a username as typed, or null when it can never be valid. */
export function normalizeUsername(input: unknown): string | null {
  if (typeof input !== "string" || input.length > 64) return null;
  const name = input.normalize("NFC").trim().toLowerCase();
  return USERNAME_PATTERN.test(name) ? name : null;
}

/** Roles as stored: known names only, each once, sorted. */
export const KNOWN_ROLES = ["admin", "member"] as const;

export function cleanRoles(roles: readonly string[]): string[] {
  return [...new Set(roles.filter((r) => (KNOWN_ROLES as readonly string[]).includes(r)))].sort();
}
