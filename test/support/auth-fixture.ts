/**
 * A tiny in-process "app" for the auth tests: the real core SessionManager
 * on a store, a fake clock, an in-memory user directory, and request helpers
 * that load a session from a cookie and commit it the way an adapter does.
 */
import {
  type AuthOptions,
  createAuth,
  type PasswordHashReason,
  type User,
  type UserDirectory,
} from "../../src/auth/index.js";
import { createPasswordHasher } from "../../src/auth/password.js";
import { createSessions, type SessionManager } from "../../src/core/manager.js";
import type { Session } from "../../src/core/session.js";
import type { SessionStore } from "../../src/core/store.js";
import { MemoryStore } from "../../src/stores/memory/index.js";

export const SECRET = "test-secret-0123456789abcdef-0123456789abcdef";
/** Cheap argon2id parameters so tests that are not about cost stay fast. */
export const fastHasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, maxConcurrent: 4 });

export const UA = {
  firefoxLinux: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  safariIphone:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  chromeWindows:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  curl: "curl/8.5.0",
} as const;

export class Clock {
  // Starts at the real time: stores with native TTLs (Redis PEXPIREAT) date records by it.
  t = Date.now();
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

interface Row extends User {
  passwordHash: string;
  credentialVersion: number;
}

/**
 * A user directory in a Map, counting look-ups. With `versioned` it keeps a
 * credential version (bumped by a password change, not by a rehash), as a
 * `cred_version` column would; without, it keeps none, like an app that
 * never added one.
 */
export class Users implements UserDirectory {
  readonly rows = new Map<string, Row>();
  findByIdCalls = 0;
  #next = 1;
  readonly #versioned: boolean;

  constructor(options: { versioned?: boolean } = {}) {
    this.#versioned = options.versioned ?? false;
  }

  async add(username: string, password: string, roles: string[] = [], hash?: string) {
    const id = `u${this.#next++}`;
    const passwordHash = hash ?? (await fastHasher.hash(password));
    this.rows.set(id, { id, username, roles, passwordHash, credentialVersion: 1 });
    return id;
  }
  #version(r: Row) {
    return this.#versioned ? { credentialVersion: r.credentialVersion } : {};
  }
  async findByUsername(username: string) {
    for (const r of this.rows.values()) {
      if (r.username === username)
        return { id: r.id, passwordHash: r.passwordHash, ...this.#version(r) };
    }
    return null;
  }
  async findById(id: string): Promise<User | null> {
    this.findByIdCalls++;
    const r = this.rows.get(id);
    return r ? { id: r.id, username: r.username, roles: [...r.roles], ...this.#version(r) } : null;
  }
  async setPasswordHash(
    id: string,
    hash: string,
    reason: PasswordHashReason = "change",
    replacing?: string,
  ) {
    const r = this.rows.get(id);
    if (!r || (replacing !== undefined && r.passwordHash !== replacing)) return;
    r.passwordHash = hash;
    if (reason === "change") r.credentialVersion++;
  }
}

/** One "app server": a manager on `store` with the shared clock, and an auth on top. */
export function server(
  store: SessionStore,
  users: Users,
  clock: Clock,
  options: Partial<AuthOptions> = {},
) {
  const sessions: SessionManager = createSessions({ store, secrets: [SECRET], now: clock.now });
  const auth = createAuth({ sessions, users, password: fastHasher, ...options });
  /** Loads the session a browser with `cookie` would bring. */
  const open = (cookie?: string | null, userAgent: string = UA.firefoxLinux, ip = "203.0.113.9") =>
    sessions.load({ cookie: cookie ?? null, encrypted: false, ip, userAgent });
  /** Commits like an adapter; returns the cookie the browser holds afterwards and the Set-Cookie header. */
  const finish = async (session: Session, cookie?: string | null) => {
    const out = await sessions.commit(session);
    if (out.setCookie === null) return { cookie: cookie ?? null, setCookie: null };
    const pair = out.setCookie.split(";")[0]!;
    const cleared = pair.endsWith("=") || /Max-Age=0(;|$)/.test(out.setCookie);
    return { cookie: cleared ? null : pair, setCookie: out.setCookie };
  };
  return { sessions, auth, open, finish };
}

export function memoryApp(options: Partial<AuthOptions> = {}) {
  const clock = new Clock();
  const users = new Users();
  const store = new MemoryStore({ sweepInterval: 0 });
  return { clock, users, store, ...server(store, users, clock, options) };
}

/** Logs in through a full request; resolves to the cookie of the signed-in session. */
export async function signIn(
  app: ReturnType<typeof memoryApp>,
  username: string,
  password: string,
  extra: { remember?: boolean; userAgent?: string; cookie?: string | null } = {},
) {
  const s = await app.open(extra.cookie ?? null, extra.userAgent);
  const r = await app.auth.login(s, { username, password, remember: extra.remember });
  if (!r.ok) throw new Error(`login failed: ${r.reason}`);
  const { cookie, setCookie } = await app.finish(s, extra.cookie);
  return { cookie: cookie!, setCookie: setCookie!, user: r.user };
}
