/**
 * Round trips, counted by Redis itself (INFO stats / INFO commandstats) on a
 * private server that no other test talks to, while the session core drives
 * the store through real requests:
 * - a read-only request that needs no touch: exactly one command, HGETALL;
 * - a write, and a request whose touch is due: exactly one command each, EVALSHA;
 * - after SCRIPT FLUSH (a failover, a fresh node) the write still succeeds,
 *   at the cost of one EVAL.
 */

import { testKey, touchOnly } from "cloakroom-sessions/testing";
import { createClient, type RedisClientType } from "redis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createSessions, type SessionManager } from "../../../src/core/manager.js";
import type { SessionStore } from "../../../src/core/store.js";
import { createStore } from "../../../src/stores/create-store.js";
import { type PrivateRedis, redisServerMissing, startRedis } from "../../support/redis-server.js";
import { describeWithService } from "../../support/services.js";

/**
 * What `run` sent, as Redis saw it: the top-level commands from MONITOR
 * (a script's inner calls are tagged `lua` there, and left out), and every
 * call, inner ones included, from INFO commandstats. The counting connections
 * are filtered out by their own commands.
 */
class Counter {
  readonly #probe: RedisClientType;
  readonly #monitor: RedisClientType;
  #lines: string[] = [];
  #marks = 0;

  constructor(url: string) {
    this.#probe = createClient({ url }) as RedisClientType;
    this.#monitor = createClient({ url }) as RedisClientType;
  }
  async open() {
    await this.#probe.connect();
    await this.#monitor.connect();
    await this.#monitor.monitor((line: string) => this.#lines.push(line));
  }
  async close() {
    this.#probe.destroy();
    this.#monitor.destroy();
  }
  async count(run: () => Promise<unknown>) {
    await this.#probe.sendCommand(["CONFIG", "RESETSTAT"]);
    await this.#mark();
    this.#lines = [];
    await run();
    const cmds = String(await this.#probe.sendCommand(["INFO", "commandstats"]));
    await this.#mark();
    const calls: Record<string, number> = {};
    for (const m of cmds.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) calls[m[1]!] = Number(m[2]);
    for (const own of ["info", "config|resetstat", "echo", "monitor"]) delete calls[own];
    const sent = this.#lines
      .filter((l) => !/\[\d+ lua\]/.test(l))
      .map((l) => /\] "([^"]+)"/.exec(l)?.[1]?.toLowerCase() ?? "?")
      .filter((c) => c !== "info" && c !== "echo");
    return { sent, calls };
  }
  /** Waits until MONITOR has delivered everything up to now. */
  async #mark() {
    const mark = `mark-${++this.#marks}`;
    await this.#probe.sendCommand(["ECHO", mark]);
    const deadline = Date.now() + 5000;
    while (!this.#lines.some((l) => l.includes(mark))) {
      if (Date.now() > deadline) throw new Error("MONITOR did not deliver the marker");
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

describeWithService("redis-server", redisServerMissing(), "redis round trips", () => {
  let redis: PrivateRedis;
  let counter: Counter;
  let store: SessionStore;
  let sessions: SessionManager;
  let clock = Date.now();
  let cookie = "";
  const request = () => ({ cookie, encrypted: false, ip: "203.0.113.7", userAgent: "test" });

  beforeAll(async () => {
    redis = await startRedis();
    counter = new Counter(redis.url);
    await counter.open();
    store = await createStore(redis.url);
    sessions = createSessions({
      store,
      secrets: ["a secret long enough for the round-trip test, 32+ chars"],
      idleTimeout: "30m",
      touchInterval: "3m",
      now: () => clock,
    });
    const s = await sessions.load(request());
    s.set("cart", [1, 2, 3]);
    const out = await sessions.commit(s);
    cookie = out.setCookie!.split(";")[0]!;
    // Steady state: the first use of each script on a node is an EVALSHA that
    // gets NOSCRIPT, then an EVAL that caches it (the last test shows that path).
    await store.patch(testKey(), { set: {}, unset: [], maxBytes: 1 }, clock);
    await store.patch(testKey(), touchOnly(clock, clock + 1), clock);
  });
  afterAll(async () => {
    await store?.close?.();
    await counter?.close();
    await redis?.stop();
  });

  it("a read-only request without a due touch costs exactly one HGETALL", async () => {
    clock += 1000;
    const { sent, calls } = await counter.count(async () => {
      const s = await sessions.load(request());
      expect(s.get("cart")).toEqual([1, 2, 3]);
      await sessions.commit(s);
    });
    expect(sent).toEqual(["hgetall"]);
    expect(calls).toEqual({ hgetall: 1 });
  });

  it("a write costs one EVALSHA after the read: field-level, inside the script", async () => {
    clock += 1000;
    const { sent, calls } = await counter.count(async () => {
      const s = await sessions.load(request());
      s.set("theme", "dark");
      await sessions.commit(s);
    });
    expect(sent).toEqual(["hgetall", "evalsha"]);
    // The load, and the size check inside the script: a session this small
    // keeps no running size (running-size.test.ts: a large one is never re-read).
    expect(calls.hgetall).toBe(2);
    expect(calls.hmget).toBe(1);
    expect(calls.hstrlen).toBeUndefined(); // the sizes come from that HGETALL
    expect(calls.evalsha).toBe(1);
    expect(calls.hset).toBe(1);
    expect(calls.pexpireat).toBeUndefined(); // no touch due: the TTL is left alone
  });

  it("a request whose touch is due costs one EVALSHA that moves the TTL", async () => {
    clock += 4 * 60_000;
    const { sent, calls } = await counter.count(async () => {
      const s = await sessions.load(request());
      await sessions.commit(s);
    });
    expect(sent).toEqual(["hgetall", "evalsha"]);
    expect(calls.evalsha).toBe(1);
    expect(calls.pexpireat).toBe(1);
  });

  it("after SCRIPT FLUSH a write falls back to EVAL once and still lands", async () => {
    await redis.command(["SCRIPT", "FLUSH"]);
    clock += 1000;
    const { sent, calls } = await counter.count(async () => {
      const s = await sessions.load(request());
      s.set("after-flush", true);
      await sessions.commit(s);
    });
    expect(sent).toEqual(["hgetall", "evalsha", "eval"]);
    expect(calls.evalsha).toBe(1);
    expect(calls.eval).toBe(1);
    const s = await sessions.load(request());
    expect(s.get("after-flush")).toBe(true);
  });
});
