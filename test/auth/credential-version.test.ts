/**
 * Issue 10 finding 2: a password change ends the sessions being created at
 * that moment, and a credential changed elsewhere (another server, another
 * tool writing the user table) signs out sessions signed in under the old one.
 *
 * The race is forced, not hoped for: the attacker's login on server A is held
 * at a named pause point (`src/core/interleave.ts`) after it verified the old
 * password — before it looks the user up ("auth.login.verified") or just
 * before it writes its session ("auth.sign-in.commit") — while the owner
 * changes the password on server B; then it is let go. A and B are two
 * managers with their own store connections on one backend, for every store
 * family; the user directory is shared, as an app's database is. Each case
 * runs with a directory that keeps a credential version and with one that
 * keeps none (then the login's own re-check after its commit is what holds).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createPasswordHasher } from "../../src/auth/index.js";
import { setInterleaveHook } from "../../src/core/interleave.js";
import type { SessionStore } from "../../src/core/store.js";
import { createStore } from "../../src/stores/create-store.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { Clock, fastHasher, server, Users } from "../support/auth-fixture.js";
import { describeWithService, probe, redisUnavailable, SERVICE_URLS } from "../support/services.js";
import { type Dialect, dropTable, openStore, unavailableOf, uniqueTable } from "../support/sql.js";

const OLD = "old correct horse";
const NEW = "new correct horse";
type Server = ReturnType<typeof server>;

afterEach(() => setInterleaveHook(undefined));

/** Holds the first operation that reaches `point` until `release`; `reached` resolves then. */
function holdAt(point: string) {
  let reached!: () => void;
  let release!: () => void;
  const arrived = new Promise<void>((r) => {
    reached = r;
  });
  const released = new Promise<void>((r) => {
    release = r;
  });
  setInterleaveHook(async (p) => {
    if (p !== point) return;
    setInterleaveHook(undefined);
    reached();
    await released;
  });
  return { arrived, release };
}

/** Logs in through a full request on `on`; resolves to the cookie the browser then holds. */
async function login(on: Server, password: string): Promise<string | null> {
  const s = await on.open(null);
  await on.auth.login(s, { username: "alice", password });
  return (await on.finish(s)).cookie;
}

/** Is the browser holding `cookie` signed in, as `on` sees it? (Its commit applies what the check decided.) */
async function signedIn(on: Server, cookie: string | null): Promise<boolean> {
  const s = await on.open(cookie);
  const user = await on.auth.currentUser(s);
  await on.finish(s, cookie);
  return user !== null;
}

interface Family {
  /** Two connections to one backend (the same instance for memory). */
  open(): Promise<[SessionStore, SessionStore]>;
}

function suite(name: string, family: Family): void {
  const twoServers = async (versioned: boolean) => {
    const [s1, s2] = await family.open();
    const clock = new Clock();
    const users = new Users({ versioned });
    await users.add("alice", OLD);
    const a = server(s1, users, clock, { throttle: false });
    const b = server(s2, users, clock, { throttle: false });
    const close = async () => {
      await s1.close?.();
      if (s2 !== s1) await s2.close?.();
    };
    return { a, b, users, close };
  };

  for (const versioned of [true, false]) {
    const directory = versioned ? "with a credential version" : "without one";
    for (const point of ["auth.login.verified", "auth.sign-in.commit"]) {
      it(`${name}, ${directory}: a login held at ${point} while the password changes on another server is not signed in`, async () => {
        const { a, b, close } = await twoServers(versioned);
        try {
          const owner = await login(b, OLD);
          expect(await signedIn(b, owner)).toBe(true);

          const held = holdAt(point);
          const attacker = login(a, OLD);
          await held.arrived; // the old password is verified; no session of A's is written yet
          const s = await b.open(owner);
          expect(await b.auth.changePassword(s, { current: OLD, next: NEW })).toMatchObject({
            ok: true,
          });
          const ownerAfter = (await b.finish(s, owner)).cookie;
          held.release();
          const stolen = await attacker;

          expect(await signedIn(a, stolen)).toBe(false);
          expect(await signedIn(b, stolen)).toBe(false);
          // The owner's own session goes on, and the new password works.
          expect(await signedIn(b, ownerAfter)).toBe(true);
          expect(await signedIn(a, await login(a, NEW))).toBe(true);
        } finally {
          await close();
        }
      });
    }
  }

  it(`${name}: a password set elsewhere (another server's tool writing the user table) signs out every session signed in before`, async () => {
    const { a, b, users, close } = await twoServers(true);
    try {
      const onA = await login(a, OLD);
      const onB = await login(b, OLD);
      expect(await signedIn(a, onA)).toBe(true);
      // No revoke-all ran: only the version the sessions carry tells them apart.
      await users.setPasswordHash("u1", await fastHasher.hash(NEW), "change");
      expect(await signedIn(a, onA)).toBe(false);
      expect(await signedIn(b, onB)).toBe(false);
      // Not signed in, and not merely hidden: the record is gone from the store.
      expect(await signedIn(a, onA)).toBe(false);
      expect(await a.sessions.listUserSessions("u1")).toEqual([]);
      expect(await signedIn(b, await login(b, NEW))).toBe(true);
    } finally {
      await close();
    }
  });
}

const dir = mkdtempSync(join(tmpdir(), "cloakroom-credver-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("credential version: memory and file-backed stores", () => {
  suite("memory", {
    open: async () => {
      const m = new MemoryStore({ sweepInterval: 0 });
      return [m, m];
    },
  });
  suite("sqlite (two connections)", {
    open: async () => {
      const table = uniqueTable("crt_credver"); // a fresh table per test: user ids repeat
      return [await openStore("sqlite", table, dir), await openStore("sqlite", table, dir)];
    },
  });
});

for (const dialect of ["postgres", "mysql"] as const satisfies Dialect[]) {
  describeWithService(dialect, unavailableOf(dialect), `credential version on ${dialect}`, () => {
    const tables: string[] = [];
    afterAll(async () => {
      for (const t of tables) await dropTable(dialect, t);
    });
    suite(`${dialect} (two pools)`, {
      open: async () => {
        const table = uniqueTable("crt_credver");
        tables.push(table);
        return [await openStore(dialect, table, dir), await openStore(dialect, table, dir)];
      },
    });
  });
}

const redisDown = await redisUnavailable();
describeWithService("Redis", redisDown, "credential version on redis", () => {
  suite("redis (two clients)", {
    open: async () => {
      const keyPrefix = `cr:credver${process.pid}:${Date.now()}:`;
      return [
        await createStore(SERVICE_URLS.redis, { keyPrefix }),
        await createStore(SERVICE_URLS.redis, { keyPrefix }),
      ];
    },
  });
});

const memcachedDown = await probe("memcached", async () => {
  const s = await createStore(SERVICE_URLS.memcached);
  await s.close?.();
});
describeWithService("Memcached", memcachedDown, "credential version on memcached", () => {
  suite("memcached (two clients)", {
    open: async () => {
      const prefix = `crcv${process.pid}x${Date.now()}:`;
      return [
        await createStore(SERVICE_URLS.memcached, { prefix }),
        await createStore(SERVICE_URLS.memcached, { prefix }),
      ];
    },
  });
});

describe("credential version: what stays signed in, and what a request costs", () => {
  it("a rehash on login (same password, new parameters) keeps the version: the session stays signed in", async () => {
    const clock = new Clock();
    const users = new Users({ versioned: true });
    const weak = await createPasswordHasher({ memoryCost: 512, timeCost: 1 }).hash(OLD);
    await users.add("alice", OLD, [], weak);
    const a = server(new MemoryStore({ sweepInterval: 0 }), users, clock, { throttle: false });
    const cookie = await login(a, OLD);
    expect(users.rows.get("u1")!.passwordHash).not.toBe(weak); // it was rehashed
    expect(users.rows.get("u1")!.credentialVersion).toBe(1);
    expect(await signedIn(a, cookie)).toBe(true);
  });

  it("a session signed in before versions were kept adopts the current one, then a change ends it", async () => {
    const clock = new Clock();
    const store = new MemoryStore({ sweepInterval: 0 });
    const before = new Users({ versioned: false });
    await before.add("alice", OLD);
    const old = server(store, before, clock, { throttle: false });
    const cookie = await login(old, OLD);
    // The app adds the column: the same rows, now with a version.
    const after = new Users({ versioned: true });
    for (const [id, r] of before.rows) after.rows.set(id, { ...r });
    const a = server(store, after, clock, { throttle: false });
    expect(await signedIn(a, cookie)).toBe(true);
    expect(await signedIn(a, cookie)).toBe(true);
    await after.setPasswordHash("u1", await fastHasher.hash(NEW), "change");
    expect(await signedIn(a, cookie)).toBe(false);
  });

  it("a signed-in guarded request: one findById and one store read, as without versions", async () => {
    const clock = new Clock();
    const users = new Users({ versioned: true });
    await users.add("alice", OLD);
    const calls: string[] = [];
    const counted = new Proxy(new MemoryStore({ sweepInterval: 0 }), {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (typeof v !== "function") return v;
        return (...args: unknown[]) => {
          calls.push(String(prop));
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const a = server(counted, users, clock, { throttle: false });
    const cookie = await login(a, OLD);
    expect(await signedIn(a, cookie)).toBe(true); // the first request may store what it adopted
    calls.length = 0;
    const lookups = users.findByIdCalls;
    const s = await a.open(cookie);
    expect((await a.auth.requireUser(s)).ok).toBe(true);
    await a.finish(s, cookie);
    expect(users.findByIdCalls - lookups).toBe(1);
    expect(calls).toEqual(["get"]);
  });
});

describe("a rehash on login racing a password change", () => {
  for (const versioned of [true, false]) {
    it(`${versioned ? "with" : "without"} a credential version: the login held before its rehash write neither signs in nor sets the old password back`, async () => {
      const clock = new Clock();
      const users = new Users({ versioned });
      // B hashes with the parameters the stored hash has; A's are newer, so A's login rehashes.
      const older = createPasswordHasher({ memoryCost: 512, timeCost: 1 });
      await users.add("alice", OLD, [], await older.hash(OLD));
      const store = new MemoryStore({ sweepInterval: 0 });
      const a = server(store, users, clock, { throttle: false });
      const b = server(store, users, clock, { throttle: false, password: older });
      const owner = await login(b, OLD);

      const held = holdAt("auth.login.rehash");
      const attacker = login(a, OLD);
      await held.arrived; // A verified the old password and computed its new hash
      const s = await b.open(owner);
      expect(await b.auth.changePassword(s, { current: OLD, next: NEW })).toMatchObject({
        ok: true,
      });
      await b.finish(s, owner);
      held.release();
      const stolen = await attacker;

      expect(await signedIn(a, stolen)).toBe(false);
      expect(await signedIn(a, await login(a, OLD))).toBe(false); // the change stands
      expect(await signedIn(a, await login(a, NEW))).toBe(true);
    });
  }
});
