/**
 * Findings 4, 5, 6 and 12 (issue 10): login throttling that holds under
 * concurrency. Every password verification goes through a hasher that
 * counts the verifications reaching it and holds each one for 50 ms (an
 * injected delay), so the whole burst overlaps inside the hash — exactly
 * the window where checking before and counting after let 39 of 40
 * simultaneous guesses through.
 */
import { describe, expect, it } from "vitest";
import type { PasswordHasher } from "../../src/auth/password.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { Clock, fastHasher, memoryApp, server, Users } from "../support/auth-fixture.js";

/** The fixture's hasher with a 50 ms hold and counters around every verification. */
function slowHasher() {
  const seen = { reached: 0, inFlight: 0, maxInFlight: 0 };
  const hold = async <T>(fn: () => Promise<T>): Promise<T> => {
    seen.reached++;
    seen.inFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    try {
      await new Promise((r) => setTimeout(r, 50));
      return await fn();
    } finally {
      seen.inFlight--;
    }
  };
  const hasher: PasswordHasher = {
    ...fastHasher,
    params: fastHasher.params,
    minLength: fastHasher.minLength,
    maxLength: fastHasher.maxLength,
    hash: (p) => fastHasher.hash(p),
    verify: (h, p) => hold(() => fastHasher.verify(h, p)),
    verifyDummy: (p) => hold(() => fastHasher.verifyDummy(p)),
    needsRehash: (h) => fastHasher.needsRehash(h),
    policyError: (p) => fastHasher.policyError(p),
  };
  return { hasher, seen };
}

describe("finding 4: attempts are reserved before the hash", () => {
  it("40 simultaneous guesses on one account from one address: at most 6 reach the hash", async () => {
    const { hasher, seen } = slowHasher();
    const app = memoryApp({ password: hasher });
    await app.users.add("victim", "correct horse battery");
    const guesses = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const s = await app.open();
        return app.auth.login(s, {
          username: "victim",
          password: `guess-${i}`,
          ip: "198.51.100.9",
        });
      }),
    );
    // 5 free failures, then one attempt per delay period.
    console.info(`finding 4: ${seen.reached} of 40 simultaneous guesses reached the hash`);
    expect(seen.reached).toBeLessThanOrEqual(6);
    expect(guesses.filter((r) => r.ok)).toHaveLength(0);
    expect(guesses.filter((r) => !r.ok && r.reason === "throttled").length).toBeGreaterThanOrEqual(
      34,
    );
  });

  it("two servers on one store: 2 × 20 simultaneous guesses, at most 6 reach the hash", async () => {
    const { hasher, seen } = slowHasher();
    const store = new MemoryStore({ sweepInterval: 0 });
    const users = new Users();
    await users.add("victim", "correct horse battery");
    const clock = new Clock();
    const a = server(store, users, clock, { password: hasher });
    const b = server(store, users, clock, { password: hasher });
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const app = i % 2 === 0 ? a : b;
        const s = await app.open();
        return app.auth.login(s, {
          username: "victim",
          password: `guess-${i}`,
          ip: "198.51.100.9",
        });
      }),
    );
    expect(seen.reached).toBeLessThanOrEqual(6);
  });

  it("a burst from one address does not lock the owner out from another (lockout is not a weapon)", async () => {
    const app = memoryApp();
    await app.users.add("victim", "correct horse battery");
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const s = await app.open();
        return app.auth.login(s, {
          username: "victim",
          password: `guess-${i}`,
          ip: "198.51.100.9",
        });
      }),
    );
    const s = await app.open();
    const owner = await app.auth.login(s, {
      username: "victim",
      password: "correct horse battery",
      ip: "203.0.113.50",
    });
    expect(owner.ok).toBe(true);
  });
});

describe("finding 5: the account counter is keyed by the canonical name", () => {
  it("whitespace and width variants share the locked account's count", async () => {
    const app = memoryApp();
    await app.users.add("victim1", "correct horse battery");
    const ip = "198.51.100.10";
    for (let i = 0; i < 5; i++) {
      const s = await app.open();
      expect(await app.auth.login(s, { username: "victim1", password: "nope", ip })).toMatchObject({
        reason: "invalid",
      });
    }
    for (const variant of [
      " victim1",
      "victim1\t",
      "victim1\u00a0",
      "\u3000victim1",
      "VICTIM1\u2003",
    ]) {
      const s = await app.open();
      expect(await app.auth.login(s, { username: variant, password: "nope", ip })).toMatchObject({
        reason: "throttled",
      });
    }
  });

  it("uses the app's own canonical form when given one", async () => {
    const app = memoryApp({ canonicalUsername: (n) => n.replace(/[-_.]/g, "").toLowerCase() });
    const ip = "198.51.100.11";
    for (let i = 0; i < 5; i++) {
      const s = await app.open();
      await app.auth.login(s, { username: "jo.doe", password: "nope", ip });
    }
    const s = await app.open();
    expect(await app.auth.login(s, { username: "jo_doe", password: "nope", ip })).toMatchObject({
      reason: "throttled",
    });
  });
});

describe("finding 6: one client gets a share of the hashing capacity, registrations a budget", () => {
  it("40 simultaneous correct logins to 40 accounts from one address: at most 4 hash at once", async () => {
    const { hasher, seen } = slowHasher();
    const app = memoryApp({ password: hasher });
    for (let i = 0; i < 40; i++) await app.users.add(`user${i}`, "correct horse battery");
    const results = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const s = await app.open();
        return app.auth.login(s, {
          username: `user${i}`,
          password: "correct horse battery",
          ip: "198.51.100.12",
        });
      }),
    );
    expect(seen.maxInFlight).toBeLessThanOrEqual(4);
    expect(results.filter((r) => !r.ok && r.reason === "throttled").length).toBeGreaterThanOrEqual(
      36,
    );
  });

  it("registrations: at most 4 at once and 10 an hour per address; other addresses unaffected", async () => {
    const app = memoryApp();
    const burst = await Promise.all(
      Array.from({ length: 30 }, () => app.auth.reserveRegistration("198.51.100.13")),
    );
    expect(burst.filter((r) => r.allowed)).toHaveLength(4);
    await Promise.all(burst.map((r) => r.settle("success")));
    let allowed = 4;
    for (let i = 0; i < 20; i++) {
      const r = await app.auth.reserveRegistration("198.51.100.13");
      if (r.allowed) allowed++;
      await r.settle("success");
    }
    expect(allowed).toBe(10);
    expect((await app.auth.reserveRegistration("203.0.113.77")).allowed).toBe(true);
  });
});

describe("finding 12: throttle counters are not sessions", () => {
  it("a flood of failed logins evicts no real session from the memory store and adds nothing to stats", async () => {
    const clock = new Clock();
    const store = new MemoryStore({ sweepInterval: 0, maxSessions: 50 });
    const users = new Users();
    await users.add("real", "correct horse battery");
    const app = server(store, users, clock);
    const cookies: string[] = [];
    // 15: under the per-user cap (20), which would end older sessions by design.
    for (let i = 0; i < 15; i++) {
      const s = await app.open();
      expect(
        (await app.auth.login(s, { username: "real", password: "correct horse battery" })).ok,
      ).toBe(true);
      cookies.push((await app.finish(s)).cookie!);
    }
    const before = await store.stats(clock.now());
    for (let i = 0; i < 300; i++) {
      const s = await app.open();
      await app.auth.login(s, {
        username: `nobody${i}`,
        password: "x",
        ip: `10.0.${i >> 8}.${i & 255}`,
      });
    }
    expect(await store.stats(clock.now())).toEqual(before);
    for (const cookie of cookies) {
      const s = await app.open(cookie);
      expect(s.userId).toBe("u1");
    }
  });
});
