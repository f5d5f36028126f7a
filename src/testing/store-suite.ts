/**
 * The store conformance suite: one set of tests every backend must pass, run
 * against real servers. A new store proves itself by calling
 * `storeConformance("name", factory)` from its own test file; exported as
 * `cloakroom-sessions/testing` so stores outside this repository can too.
 *
 * Times are simulated through the `now` argument every store method takes;
 * records are dated from the real clock so that native TTLs (Redis PEXPIREAT)
 * agree with them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodedSize } from "../core/codec.js";
import { setInterleaveHook } from "../core/interleave.js";
import type { SessionStore, StoredSession } from "../core/store.js";

export interface StoreFactory {
  /** A fresh store connected to the backend. Called once per suite, plus once more for shared stores. */
  open(): Promise<SessionStore>;
  /** Removes everything the suite wrote (optional: keys are random). */
  cleanup?(): Promise<void>;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
let counter = 0;

/** A store key shaped like the real ones (43 base64url chars), unique per call. */
export function testKey(): string {
  counter++;
  const rand = Math.random().toString(36).slice(2).padEnd(12, "0");
  return `k${String(counter).padStart(8, "0")}${rand}${Date.now().toString(36)}`
    .padEnd(43, "x")
    .slice(0, 43);
}

export function testUser(): string {
  return `user-${process.pid}-${Date.now()}-${++counter}`;
}

export function record(overrides: Partial<StoredSession> = {}): StoredSession {
  const now = Date.now();
  return {
    data: { cart: "[1,2,3]", name: '"Ada"' },
    userId: null,
    createdAt: now,
    lastSeenAt: now,
    idleExpiresAt: now + 30 * MIN,
    absoluteExpiresAt: now + 12 * HOUR,
    ip: "203.0.113.7",
    userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    ...overrides,
  };
}

const noLimit = 64 * 1024;

/** The manager's touch: a patch with nothing to set or unset, only new deadlines. */
export function touchOnly(lastSeenAt: number, idleExpiresAt: number, maxBytes = noLimit) {
  return { set: {}, unset: [], touch: { lastSeenAt, idleExpiresAt }, maxBytes };
}

export function storeConformance(name: string, factory: StoreFactory): void {
  describe(`store conformance: ${name}`, () => {
    let store: SessionStore;
    beforeAll(async () => {
      store = await factory.open();
      await store.migrate?.();
    });
    afterAll(async () => {
      await factory.cleanup?.();
      await store?.close?.();
    });

    it("returns null for a key it never saw", async () => {
      expect(await store.get(testKey(), Date.now())).toBeNull();
    });

    it("gives back what was created, every field", async () => {
      const key = testKey();
      const r = record({
        userId: testUser(),
        data: { a: "1", ünï: '"çødé ✓"', nested: '{"x":[1,{"y":null}]}' },
      });
      await store.create(key, r);
      const got = await store.get(key, Date.now());
      expect(got).toEqual(r);
    });

    it("peek, where the store has it, answers as get does or not at all", async () => {
      if (store.peek === undefined) return expect(store.peek).toBeUndefined();
      const peek = store.peek.bind(store);
      const agrees = async (key: string, now: number) => {
        const got = await store.get(key, now);
        const seen = peek(key, now);
        if (seen !== undefined) expect(seen).toEqual(got);
        return { got, seen };
      };
      const userId = testUser();
      const key = testKey();
      const r = record({ userId, data: { a: "1" } });
      await store.create(key, r);
      const first = await agrees(key, Date.now());
      expect(first.got).toEqual(r);
      // What peek hands out is the caller's: changing it changes nothing stored.
      if (first.seen) first.seen.data.a = "mutated";
      expect((await store.get(key, Date.now()))?.data).toEqual({ a: "1" });
      await store.patch(key, { set: { a: "2" }, unset: [], maxBytes: noLimit }, Date.now());
      expect((await agrees(key, Date.now())).got?.data).toEqual({ a: "2" });
      // Past its idle deadline, the session is gone for peek too.
      expect((await agrees(key, r.idleExpiresAt + 1)).seen ?? null).toBeNull();
      await store.destroy(key);
      expect(peek(key, Date.now()) ?? null).toBeNull();
      const revoked = testKey();
      await store.create(revoked, record({ userId }));
      await agrees(revoked, Date.now());
      await store.destroyByUser(userId);
      expect(peek(revoked, Date.now()) ?? null).toBeNull();
      expect(await store.get(revoked, Date.now())).toBeNull();
    });

    it("patches field by field: sets some keys, removes others, leaves the rest", async () => {
      const key = testKey();
      await store.create(key, record({ data: { keep: '"k"', drop: "1", change: "1" } }));
      expect(
        await store.patch(
          key,
          { set: { change: "2", add: "true" }, unset: ["drop"], maxBytes: noLimit },
          Date.now(),
        ),
      ).toBe("ok");
      const got = await store.get(key, Date.now());
      expect(got?.data).toEqual({ keep: '"k"', change: "2", add: "true" });
    });

    it("keeps all 50 concurrent patches to different keys of one session", async () => {
      const key = testKey();
      await store.create(key, record({ data: {} }));
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.patch(
            key,
            { set: { [`k${i}`]: String(i) }, unset: [], maxBytes: noLimit },
            Date.now(),
          ),
        ),
      );
      expect(results.every((r) => r === "ok")).toBe(true);
      const got = await store.get(key, Date.now());
      expect(Object.keys(got!.data).sort()).toEqual(
        Array.from({ length: 50 }, (_, i) => `k${i}`).sort(),
      );
    });

    it("keeps concurrent patches from two store instances (two app servers)", async () => {
      const other = await factory.open();
      try {
        if (!store.capabilities.shared) return expect(other.capabilities.shared).toBe(false);
        const key = testKey();
        await store.create(key, record({ data: {} }));
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 ? store : other).patch(
              key,
              { set: { [`k${i}`]: String(i) }, unset: [], maxBytes: noLimit },
              Date.now(),
            ),
          ),
        );
        expect(Object.keys((await other.get(key, Date.now()))!.data)).toHaveLength(20);
      } finally {
        await other.close?.();
      }
    });

    it("never resurrects: a patch or a touch after destroy writes nothing", async () => {
      const key = testKey();
      const userId = testUser();
      await store.create(key, record({ userId }));
      await store.destroy(key);
      expect(
        await store.patch(key, { set: { late: "1" }, unset: [], maxBytes: noLimit }, Date.now()),
      ).toBe("missing");
      const now = Date.now();
      expect(await store.patch(key, touchOnly(now, now + 30 * MIN), now)).toBe("missing");
      expect(await store.get(key, Date.now())).toBeNull();
      expect(await store.listByUser(userId, Date.now())).toEqual([]);
    });

    it("never resurrects a revoked session either", async () => {
      const key = testKey();
      const userId = testUser();
      await store.create(key, record({ userId }));
      expect(await store.destroyByUser(userId)).toBe(1);
      expect(
        await store.patch(key, { set: { late: "1" }, unset: [], maxBytes: noLimit }, Date.now()),
      ).toBe("missing");
      expect(await store.get(key, Date.now())).toBeNull();
    });

    it("a touch (a patch with only `touch`) moves the idle deadline and last-seen time, never past the absolute deadline", async () => {
      const key = testKey();
      const r = record();
      await store.create(key, r);
      const later = r.lastSeenAt + 5 * MIN;
      expect(await store.patch(key, touchOnly(later, later + 30 * MIN), later)).toBe("ok");
      let got = await store.get(key, later);
      expect(got?.lastSeenAt).toBe(later);
      expect(got?.idleExpiresAt).toBe(later + 30 * MIN);
      expect(got?.data).toEqual(r.data);
      const beyond = r.absoluteExpiresAt + HOUR;
      expect(await store.patch(key, touchOnly(later + MIN, beyond), later + MIN)).toBe("ok");
      got = await store.get(key, later + MIN);
      expect(got!.idleExpiresAt).toBeLessThanOrEqual(r.absoluteExpiresAt);
    });

    it("never refuses a touch for size: it changes no data", async () => {
      const key = testKey();
      const r = record({ data: { big: JSON.stringify("z".repeat(3000)) } });
      await store.create(key, r);
      const later = r.lastSeenAt + MIN;
      // The limit was lowered after the session grew: the touch still goes through.
      expect(await store.patch(key, touchOnly(later, later + 30 * MIN, 1000), later)).toBe("ok");
      const got = await store.get(key, later);
      expect(got?.idleExpiresAt).toBe(later + 30 * MIN);
      expect(got?.data).toEqual(r.data);
    });

    it("a patch can carry the touch, in the same atomic write", async () => {
      const key = testKey();
      const r = record();
      await store.create(key, r);
      const later = r.lastSeenAt + 4 * MIN;
      const touch = { lastSeenAt: later, idleExpiresAt: later + 30 * MIN };
      expect(
        await store.patch(key, { set: { n: "1" }, unset: [], touch, maxBytes: noLimit }, later),
      ).toBe("ok");
      const got = await store.get(key, later);
      expect(got?.lastSeenAt).toBe(later);
      expect(got?.idleExpiresAt).toBe(later + 30 * MIN);
      expect(got?.data.n).toBe("1");
    });

    it("treats a session past its idle deadline as gone", async () => {
      const key = testKey();
      const r = record();
      await store.create(key, r);
      expect(await store.get(key, r.idleExpiresAt - 1)).not.toBeNull();
      expect(await store.get(key, r.idleExpiresAt + 1)).toBeNull();
      expect(
        await store.patch(
          key,
          { set: { x: "1" }, unset: [], maxBytes: noLimit },
          r.idleExpiresAt + 2,
        ),
      ).toBe("missing");
      const late = r.idleExpiresAt + 3;
      expect(await store.patch(key, touchOnly(late, late + HOUR), late)).toBe("missing");
    });

    it("treats a session past its absolute deadline as gone, however recently touched", async () => {
      const key = testKey();
      const now = Date.now();
      const r = record({ absoluteExpiresAt: now + 10 * MIN, idleExpiresAt: now + 10 * MIN });
      await store.create(key, r);
      expect(await store.get(key, now + 9 * MIN)).not.toBeNull();
      expect(await store.get(key, now + 10 * MIN + 1)).toBeNull();
    });

    it("destroy removes at once; destroying an absent session is fine", async () => {
      const key = testKey();
      await store.create(key, record());
      await store.destroy(key);
      expect(await store.get(key, Date.now())).toBeNull();
      await expect(store.destroy(key)).resolves.toBeUndefined();
      await expect(store.destroy(testKey())).resolves.toBeUndefined();
    });

    it("lists a user's live sessions with their device metadata, and only theirs", async () => {
      const userId = testUser();
      const [a, b, expired, stranger] = [testKey(), testKey(), testKey(), testKey()];
      const now = Date.now();
      await store.create(a, record({ userId, ip: "198.51.100.1", userAgent: "UA-a" }));
      await store.create(b, record({ userId, ip: null, userAgent: null }));
      await store.create(
        expired,
        record({ userId, idleExpiresAt: now + MIN, absoluteExpiresAt: now + MIN }),
      );
      await store.create(stranger, record({ userId: testUser() }));
      const list = await store.listByUser(userId, now + 2 * MIN);
      expect(list.map((s) => s.key).sort()).toEqual([a, b].sort());
      const sa = list.find((s) => s.key === a)!;
      expect(sa).toMatchObject({ userId, ip: "198.51.100.1", userAgent: "UA-a" });
      expect(typeof sa.createdAt).toBe("number");
      expect(typeof sa.lastSeenAt).toBe("number");
      expect(await store.listByUser(testUser(), now)).toEqual([]);
    });

    it("revokes all of a user's sessions, or all but one, leaving other users alone", async () => {
      const userId = testUser();
      const keys = [testKey(), testKey(), testKey()];
      const stranger = testKey();
      for (const k of keys) await store.create(k, record({ userId }));
      await store.create(stranger, record({ userId: testUser() }));
      expect(await store.destroyByUser(userId, keys[0])).toBe(2);
      expect(await store.get(keys[0]!, Date.now())).not.toBeNull();
      expect(await store.get(keys[1]!, Date.now())).toBeNull();
      expect(await store.get(keys[2]!, Date.now())).toBeNull();
      expect(await store.destroyByUser(userId)).toBe(1);
      expect(await store.get(keys[0]!, Date.now())).toBeNull();
      expect(await store.get(stranger, Date.now())).not.toBeNull();
      expect(await store.destroyByUser(userId)).toBe(0);
    });

    it("refuses a patch past the size limit and leaves the stored session as it was", async () => {
      const key = testKey();
      const r = record({ data: { a: '"small"' } });
      await store.create(key, r);
      const big = JSON.stringify("x".repeat(2000));
      expect(
        await store.patch(key, { set: { big }, unset: ["a"], maxBytes: 1000 }, Date.now()),
      ).toBe("too_large");
      expect((await store.get(key, Date.now()))?.data).toEqual(r.data);
      const fits = JSON.stringify("y".repeat(500));
      expect(await store.patch(key, { set: { fits }, unset: [], maxBytes: 1000 }, Date.now())).toBe(
        "ok",
      );
      expect(encodedSize((await store.get(key, Date.now()))!.data)).toBeLessThanOrEqual(1000);
    });

    it("measures the size limit exactly as encodedSize does: at the limit fits, a byte over does not", async () => {
      // Found by the store-model fuzz on MariaDB: a server that counts its own
      // punctuation refused a 53-byte write under a 60-byte limit.
      const key = testKey();
      await store.create(key, record({ data: { start: '"yes"' } }));
      const set = {
        $meta: "false",
        a: "-10000000",
        "k-with-a-longer-name": '" "',
        nested: '{"x":[1,2,3],"yy":"é"}',
      };
      const size = encodedSize({ start: '"yes"', ...set });
      const patch = (maxBytes: number) =>
        store.patch(key, { set, unset: [], maxBytes }, Date.now());
      expect(await patch(size - 1)).toBe("too_large");
      expect(await patch(size)).toBe("ok");
      expect((await store.get(key, Date.now()))?.data).toEqual({ start: '"yes"', ...set });
      // Removing a member frees exactly its bytes.
      const after = encodedSize({ ...set, b: "1" });
      const swap = (maxBytes: number) =>
        store.patch(key, { set: { b: "1" }, unset: ["start"], maxBytes }, Date.now());
      expect(await swap(after - 1)).toBe("too_large");
      expect(await swap(after)).toBe("ok");
    });

    it("never refuses a patch that sets and unsets nothing for size, even over the limit", async () => {
      const key = testKey();
      const data = { big: JSON.stringify("x".repeat(100)) };
      await store.create(key, record({ data }));
      expect(await store.patch(key, { set: {}, unset: [], maxBytes: 10 }, Date.now())).toBe("ok");
      const touch = { lastSeenAt: Date.now() + 1000, idleExpiresAt: Date.now() + 60 * MIN };
      expect(await store.patch(key, { set: {}, unset: [], touch, maxBytes: 10 }, Date.now())).toBe(
        "ok",
      );
      expect((await store.get(key, Date.now()))?.data).toEqual(data);
      // A change that leaves it over the limit is refused.
      expect(await store.patch(key, { set: { a: "1" }, unset: [], maxBytes: 10 }, Date.now())).toBe(
        "too_large",
      );
    });

    it("keeps prototype-named keys as plain data, polluting nothing", async () => {
      const key = testKey();
      const data = JSON.parse(
        '{"__proto__":"{\\"polluted\\":true}","constructor":"1","toString":"2"}',
      ) as Record<string, string>;
      await store.create(key, record({ data }));
      await store.patch(
        key,
        { set: JSON.parse('{"__proto__":"{\\"polluted\\":2}"}'), unset: [], maxBytes: noLimit },
        Date.now(),
      );
      const got = await store.get(key, Date.now());
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(
        Object.getPrototypeOf(got!.data) === Object.prototype ||
          Object.getPrototypeOf(got!.data) === null,
      ).toBe(true);
      expect((got!.data as Record<string, unknown>).polluted).toBeUndefined();
    });

    it("purges expired records in batches, or has no purgeExpired because records expire by themselves", async () => {
      const now = Date.now();
      const keys = Array.from({ length: 7 }, testKey);
      for (const k of keys)
        await store.create(k, record({ idleExpiresAt: now + MIN, absoluteExpiresAt: now + MIN }));
      const live = testKey();
      await store.create(live, record());
      if (store.purgeExpired) {
        const seen: number[] = [];
        const removed = await store.purgeExpired(now + 2 * MIN, {
          batchSize: 3,
          onProgress: (n) => seen.push(n),
        });
        expect(removed).toBeGreaterThanOrEqual(7);
        expect(seen.length).toBeGreaterThanOrEqual(1);
      }
      for (const k of keys) expect(await store.get(k, now + 2 * MIN)).toBeNull();
      expect(await store.get(live, now + 2 * MIN)).not.toBeNull();
    });

    // Issue 10 finding 1: whatever the interleaving of a signed-in create
    // with a revoke-all (or a listing, which prunes), the session can never
    // end up alive and outside the user index. Stores whose create takes two
    // steps (Redis, Memcached) pause between them at a named point, and the
    // other operation runs in that gap; single-step stores run both at once.
    describe("revocation under interleaving", () => {
      afterAll(() => setInterleaveHook(undefined));

      const raceCreate = async (
        during: (userId: string) => Promise<unknown>,
      ): Promise<{ key: string; userId: string; paused: boolean }> => {
        const key = testKey();
        const userId = testUser();
        let paused = false;
        setInterleaveHook(async (point) => {
          if (!point.endsWith("create:indexed")) return;
          paused = true;
          setInterleaveHook(undefined);
          await during(userId);
        });
        try {
          await Promise.all([
            store.create(key, record({ userId })),
            paused ? null : during(userId),
          ]);
        } finally {
          setInterleaveHook(undefined);
        }
        return { key, userId, paused };
      };

      it("a session created across a revoke-all is still revocable", async () => {
        const { key, userId } = await raceCreate((u) => store.destroyByUser(u));
        const alive = (await store.get(key, Date.now())) !== null;
        if (alive)
          expect((await store.listByUser(userId, Date.now())).map((s) => s.key)).toContain(key);
        await store.destroyByUser(userId);
        expect(await store.get(key, Date.now())).toBeNull();
      });

      it("a session created across a listing is still listed and revocable", async () => {
        const { key, userId } = await raceCreate((u) => store.listByUser(u, Date.now()));
        expect((await store.listByUser(userId, Date.now())).map((s) => s.key)).toContain(key);
        await store.destroyByUser(userId);
        expect(await store.get(key, Date.now())).toBeNull();
      });

      it("a revoke-all paused after its listing leaves a session created meanwhile indexed", async () => {
        const userId = testUser();
        const old = testKey();
        await store.create(old, record({ userId }));
        const fresh = testKey();
        setInterleaveHook(async (point) => {
          if (!point.endsWith("destroyByUser:listed")) return;
          setInterleaveHook(undefined);
          await store.create(fresh, record({ userId }));
        });
        try {
          await store.destroyByUser(userId);
        } finally {
          setInterleaveHook(undefined);
        }
        expect(await store.get(old, Date.now())).toBeNull();
        if ((await store.get(fresh, Date.now())) !== null) {
          expect((await store.listByUser(userId, Date.now())).map((s) => s.key)).toContain(fresh);
        }
        await store.destroyByUser(userId);
        expect(await store.get(fresh, Date.now())).toBeNull();
      });
    });

    // Issue 10 finding 8: rotation (a new token for a session) is conditional
    // on the old record still being alive, in one step against revocation.
    describe("rotation", () => {
      afterAll(() => setInterleaveHook(undefined));

      const listed = async (userId: string) =>
        (await store.listByUser(userId, Date.now())).map((s) => s.key);

      it("moves a live session to its new key: the old key is gone, the user index follows", async () => {
        const userId = testUser();
        const [old, next] = [testKey(), testKey()];
        await store.create(old, record({ userId }));
        const r = record({ userId, data: { moved: "true" } });
        expect(await store.rotate(old, next, r, Date.now())).toBe("ok");
        expect(await store.get(old, Date.now())).toBeNull();
        expect(await store.get(next, Date.now())).toEqual(r);
        expect(await listed(userId)).toEqual([next]);
        expect(await store.destroyByUser(userId)).toBe(1);
        expect(await store.get(next, Date.now())).toBeNull();
      });

      it("signs in and out by rotating: anonymous → user A → user B → anonymous", async () => {
        const [a, b] = [testUser(), testUser()];
        const keys = [testKey(), testKey(), testKey(), testKey()] as const;
        await store.create(keys[0], record());
        expect(await store.rotate(keys[0], keys[1], record({ userId: a }), Date.now())).toBe("ok");
        expect(await listed(a)).toEqual([keys[1]]);
        expect(await store.rotate(keys[1], keys[2], record({ userId: b }), Date.now())).toBe("ok");
        expect(await listed(a)).toEqual([]);
        expect(await listed(b)).toEqual([keys[2]]);
        expect(await store.rotate(keys[2], keys[3], record(), Date.now())).toBe("ok");
        expect(await listed(b)).toEqual([]);
        expect((await store.get(keys[3], Date.now()))?.userId).toBeNull();
        for (const k of keys.slice(0, 3)) expect(await store.get(k, Date.now())).toBeNull();
      });

      it("never rotates a destroyed, revoked, expired or unknown session: nothing is written or listed", async () => {
        const userId = testUser();
        const now = Date.now();
        const [destroyed, revoked, expired] = [testKey(), testKey(), testKey()];
        await store.create(destroyed, record({ userId }));
        await store.create(revoked, record({ userId }));
        await store.create(
          expired,
          record({ userId, idleExpiresAt: now + MIN, absoluteExpiresAt: now + HOUR }),
        );
        await store.destroy(destroyed);
        expect(await store.destroyByUser(userId, expired)).toBe(1);
        const attempts: [string, number][] = [
          [destroyed, now],
          [revoked, now],
          [expired, now + 2 * MIN],
          [testKey(), now],
        ];
        for (const [old, at] of attempts) {
          const next = testKey();
          expect(await store.rotate(old, next, record({ userId }), at)).toBe("missing");
          expect(await store.get(next, now)).toBeNull();
          expect(await listed(userId)).not.toContain(next);
        }
      });

      it("of two rotations of one session, exactly one succeeds", async () => {
        const userId = testUser();
        const old = testKey();
        await store.create(old, record({ userId }));
        const [x, y] = [testKey(), testKey()];
        const results = await Promise.all([
          store.rotate(old, x, record({ userId }), Date.now()),
          store.rotate(old, y, record({ userId }), Date.now()),
        ]);
        expect([...results].sort()).toEqual(["missing", "ok"]);
        const winner = results[0] === "ok" ? x : y;
        const loser = winner === x ? y : x;
        expect(await store.get(loser, Date.now())).toBeNull();
        expect(await listed(userId)).toEqual([winner]);
      });

      // The bad interleaving of the finding: a request loads the session, the
      // session is revoked, then the request rotates it.
      it("a request that loaded a session before a revoke-all cannot rotate it into a new one", async () => {
        const userId = testUser();
        const old = testKey();
        await store.create(old, record({ userId }));
        const loaded = await store.get(old, Date.now());
        expect(loaded?.userId).toBe(userId);
        expect(await store.destroyByUser(userId)).toBe(1);
        const next = testKey();
        expect(
          await store.rotate(old, next, { ...loaded!, createdAt: Date.now() }, Date.now()),
        ).toBe("missing");
        expect(await store.get(next, Date.now())).toBeNull();
        expect(await listed(userId)).toEqual([]);
      });

      // The same, with the revocation injected inside the rotation: stores
      // whose rotation takes several steps (Redis, Memcached) pause after
      // indexing the new key, before deciding on the old one; the revoke-all
      // runs in that gap. One-step stores run both at once.
      it("a revoke-all inside a rotation, before its decision, leaves no new session", async () => {
        const userId = testUser();
        // Does this store's rotation pause at the point? A probe rotation tells.
        let pauses = false;
        const probe = testKey();
        await store.create(probe, record({ userId }));
        setInterleaveHook((point) => {
          if (point.endsWith("rotate:indexed")) pauses = true;
        });
        try {
          await store.rotate(probe, testKey(), record({ userId }), Date.now());
        } finally {
          setInterleaveHook(undefined);
        }
        await store.destroyByUser(userId);

        const old = testKey();
        await store.create(old, record({ userId }));
        const next = testKey();
        let revoked = -1;
        setInterleaveHook(async (point) => {
          if (!point.endsWith("rotate:indexed")) return;
          setInterleaveHook(undefined);
          revoked = await store.destroyByUser(userId);
        });
        let result: string;
        try {
          [result] = await Promise.all([
            store.rotate(old, next, record({ userId }), Date.now()),
            pauses ? null : store.destroyByUser(userId).then((n) => (revoked = n)),
          ]);
        } finally {
          setInterleaveHook(undefined);
        }
        if (pauses) {
          expect(revoked).toBe(1);
          expect(result).toBe("missing");
        }
        // Whatever came first, nothing of the user outlives the revocation:
        // either the rotation lost (nothing written) or it came first and the
        // revoke-all removed the new session.
        if (result === "missing") expect(await store.get(next, Date.now())).toBeNull();
        const alive = (await store.get(next, Date.now())) !== null;
        if (alive) expect(await listed(userId)).toContain(next);
        await store.destroyByUser(userId);
        expect(await store.get(next, Date.now())).toBeNull();
        expect(await store.get(old, Date.now())).toBeNull();
      });

      it("a revoke-all after a rotation's decision still reaches the new session", async () => {
        const userId = testUser();
        const old = testKey();
        await store.create(old, record({ userId }));
        const next = testKey();
        setInterleaveHook(async (point) => {
          if (!point.endsWith("rotate:claimed")) return;
          setInterleaveHook(undefined);
          await store.destroyByUser(userId);
        });
        try {
          await store.rotate(old, next, record({ userId }), Date.now());
        } finally {
          setInterleaveHook(undefined);
        }
        if ((await store.get(next, Date.now())) !== null)
          expect(await listed(userId)).toContain(next);
        await store.destroyByUser(userId);
        expect(await store.get(next, Date.now())).toBeNull();
      });
    });

    // Issue 12: throttling's own primitive, not fake session records.
    describe("counters", () => {
      const name = () => `test:${testKey()}`;

      it("every shared store has counters", () => {
        if (store.capabilities.shared) {
          expect(typeof store.increment).toBe("function");
          expect(typeof store.resetCounter).toBe("function");
        }
      });

      it("counts atomically: 40 concurrent increments see 1..40 once each", async () => {
        if (!store.increment) return;
        const n = name();
        const now = Date.now();
        const got = await Promise.all(
          Array.from({ length: 40 }, () => store.increment!(n, 1, 60_000, now)),
        );
        expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      });

      it("adds any amount, refunds, reads with 0, and resets", async () => {
        if (!store.increment) return;
        const n = name();
        const now = Date.now();
        expect(await store.increment(n, 3, 60_000, now)).toBe(3);
        expect(await store.increment(n, -1, 60_000, now)).toBe(2);
        expect(await store.increment(n, 0, 60_000, now)).toBe(2);
        await store.resetCounter!(n);
        expect(await store.increment(n, 0, 60_000, now)).toBe(0);
        expect(await store.increment(n, 1, 60_000, now)).toBe(1);
        await store.resetCounter!(`test:${testKey()}`); // absent: not an error
      });

      it("starts again after its window, which later increments do not move", async () => {
        if (!store.increment) return;
        const n = name();
        const t0 = Date.now();
        expect(await store.increment(n, 1, 1000, t0)).toBe(1);
        await new Promise((r) => setTimeout(r, 600));
        expect(await store.increment(n, 1, 1000, Date.now())).toBe(2);
        // Memcached counts whole seconds: wait past the window on every clock.
        await new Promise((r) => setTimeout(r, 2100));
        expect(await store.increment(n, 1, 1000, Date.now())).toBe(1);
      });

      it("is not a session: not listed, not counted, not readable as one", async () => {
        if (!store.increment) return;
        const now = Date.now();
        const count = () => store.stats?.(now);
        const before = await count();
        const n = name();
        for (let i = 0; i < 5; i++) await store.increment(n, 1, 60_000, now);
        const after = await count();
        if (before && after) expect(after.live).toBe(before.live);
      });
    });
  });
}
