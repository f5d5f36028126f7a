/**
 * Failed logins are throttled per username and per address, with delays
 * that grow, a Retry-After to send, a reset on success, and counters kept in
 * the shared store so they hold across app servers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLoginThrottle } from "../../src/auth/index.js";
import { clientAddressKey } from "../../src/auth/keys.js";
import type { SessionStore } from "../../src/core/store.js";
import { createStore } from "../../src/stores/create-store.js";
import { Clock, memoryApp, server, Users } from "../support/auth-fixture.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";

const SEC = 1000;
const MIN = 60 * SEC;

describe("login throttling", () => {
  it("after 5 failures for a username: 429 with Retry-After, growing, capped at 15 min", async () => {
    const app = memoryApp();
    await app.users.add("alice", "correct horse");
    const s = await app.open();
    const attempt = (password: string) =>
      app.auth.login(s, { username: "alice", password, ip: "198.51.100.1" });
    for (let i = 0; i < 5; i++)
      expect(await attempt("guess")).toEqual({ ok: false, reason: "invalid" });
    expect(await attempt("correct horse")).toEqual({
      ok: false,
      reason: "throttled",
      retryAfterSeconds: 1,
    });

    const delays: number[] = [];
    for (let i = 0; i < 14; i++) {
      const r = await attempt("guess");
      if (r.ok || r.reason !== "throttled") throw new Error("expected a lock");
      delays.push(r.retryAfterSeconds);
      app.clock.advance(r.retryAfterSeconds * SEC);
      expect(await attempt("guess")).toEqual({ ok: false, reason: "invalid" }); // one guess per period
    }
    expect(delays.slice(0, 11)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900]);
    expect(delays.slice(11)).toEqual([900, 900, 900]);
  });

  it("the lock is a delay, not a lockout; success forgets the username's failures", async () => {
    const app = memoryApp();
    await app.users.add("alice", "correct horse");
    const s = await app.open();
    for (let i = 0; i < 5; i++) await app.auth.login(s, { username: "alice", password: "guess" });
    app.clock.advance(SEC);
    expect((await app.auth.login(s, { username: "alice", password: "correct horse" })).ok).toBe(
      true,
    );
    const t = await app.open();
    for (let i = 0; i < 4; i++) {
      expect(await app.auth.login(t, { username: "alice", password: "guess" })).toMatchObject({
        reason: "invalid",
      });
    }
  });

  it("a username's counter ignores case and width tricks", async () => {
    const app = memoryApp();
    const s = await app.open();
    for (const u of ["alice", "ALICE", "Alice", "ａｌｉｃｅ", "aLiCe"]) {
      await app.auth.login(s, { username: u, password: "guess" });
    }
    expect(await app.auth.login(s, { username: "alice", password: "guess" })).toMatchObject({
      reason: "throttled",
    });
  });

  it("throttles an address spraying one password across many usernames, not other addresses", async () => {
    const app = memoryApp();
    const s = await app.open();
    const results = [];
    // 100 failures per address (many real users can share one NAT address), then delays.
    for (let i = 0; i < 105; i++) {
      results.push(
        await app.auth.login(s, { username: `user${i}`, password: "Summer2025!", ip: "192.0.2.7" }),
      );
    }
    expect(results.slice(0, 100).every((r) => !r.ok && r.reason === "invalid")).toBe(true);
    expect(results.slice(100).every((r) => !r.ok && r.reason === "throttled")).toBe(true);
    expect(
      await app.auth.login(s, { username: "user99", password: "x", ip: "192.0.2.8" }),
    ).toMatchObject({
      reason: "invalid",
    });
  });

  it("counts every failure of a concurrent burst", async () => {
    const clock = new Clock();
    const store = new (await import("../../src/stores/memory/index.js")).MemoryStore({
      sweepInterval: 0,
    });
    const throttle = createLoginThrottle({
      store,
      now: clock.now,
      userFreeAttempts: 30,
      accountFreeAttempts: 30,
      maxInFlightPerUser: 100,
    });
    const fail = async () => (await throttle.reserve("bob", null)).settle("failure");
    await Promise.all(Array.from({ length: 30 }, fail));
    expect(await throttle.reserve("bob")).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
  });

  it("forgets a username a window after its first failure", async () => {
    const clock = new Clock();
    const store = new (await import("../../src/stores/memory/index.js")).MemoryStore({
      sweepInterval: 0,
    });
    const throttle = createLoginThrottle({
      store,
      now: clock.now,
      window: "10m",
      baseDelay: "5m",
      maxDelay: "5m",
    });
    for (let i = 0; i < 5; i++)
      await (await throttle.reserve("bob", "192.0.2.1")).settle("failure");
    clock.advance(2 * MIN);
    expect((await throttle.reserve("bob", "192.0.2.1")).allowed).toBe(false);
    clock.advance(10 * MIN + 1);
    expect(await throttle.reserve("bob", "192.0.2.1")).toMatchObject({
      allowed: true,
      retryAfterSeconds: 0,
    });
  });

  it("keys IPv6 addresses by their /64 and IPv4-mapped ones as IPv4", () => {
    expect(clientAddressKey("2001:db8:1:2:aaaa::1")).toBe(
      clientAddressKey("2001:0db8:0001:0002:ffff:1:2:3"),
    );
    expect(clientAddressKey("2001:db8:1:3::1")).not.toBe(clientAddressKey("2001:db8:1:2::1"));
    expect(clientAddressKey("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(clientAddressKey("::1")).toBe("0:0:0:0::/64");
  });
});

/** Two app servers, each with its own manager (and own store client when the backend allows), one backend. */
function sharedAcrossServers(name: string, open: () => Promise<[SessionStore, SessionStore]>) {
  it(`${name}: failures on one server throttle the login on the other`, async () => {
    const [storeA, storeB] = await open();
    try {
      const clock = new Clock();
      const users = new Users();
      await users.add(`carol-${process.pid}-${clock.t}`, "correct horse");
      const username = [...users.rows.values()][0]!.username;
      const a = server(storeA, users, clock);
      const b = server(storeB, users, clock);
      const sa = await a.open();
      const sb = await b.open();
      for (let i = 0; i < 3; i++) await a.auth.login(sa, { username, password: "guess" });
      for (let i = 0; i < 2; i++) await b.auth.login(sb, { username, password: "guess" });
      expect(await a.auth.login(sa, { username, password: "correct horse" })).toMatchObject({
        reason: "throttled",
      });
      clock.advance(SEC);
      // Redis and Memcached expire counters by their own clock: let a real second pass too.
      await new Promise((r) => setTimeout(r, 1100));
      expect((await b.auth.login(sb, { username, password: "correct horse" })).ok).toBe(true);
      // The success on B cleared the counter for A too.
      expect(await a.auth.login(sa, { username, password: "guess" })).toMatchObject({
        reason: "invalid",
      });
    } finally {
      await storeA.close?.();
      if (storeB !== storeA) await storeB.close?.();
    }
  });
}

describe("throttle state is shared through the store", () => {
  const dir = mkdtempSync(join(tmpdir(), "cloakroom-auth-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  sharedAcrossServers("memory (one store, two managers)", async () => {
    const { MemoryStore } = await import("../../src/stores/memory/index.js");
    const store = new MemoryStore({ sweepInterval: 0 });
    return [store, store];
  });
  sharedAcrossServers("sqlite (two connections to one file)", async () => {
    const url = `sqlite:${join(dir, "sessions.db")}`;
    const a = await createStore(url);
    await a.migrate?.();
    return [a, await createStore(url)];
  });
});

const redisDown = await probe("redis store get", async () => {
  const store = await createStore(SERVICE_URLS.redis);
  try {
    await store.get("x".repeat(43), Date.now());
  } finally {
    await store.close?.();
  }
});
describeWithService("Redis", redisDown, "throttle state shared through redis", () => {
  sharedAcrossServers("redis (two clients)", async () => [
    await createStore(SERVICE_URLS.redis),
    await createStore(SERVICE_URLS.redis),
  ]);
});
