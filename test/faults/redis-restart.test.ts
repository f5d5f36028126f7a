/**
 * Redis dies, freezes or stops answering under a mixed workload (private
 * redis-server per scenario, never the shared one):
 * - SIGKILL and restart with AOF `appendfsync always`: every acknowledged
 *   write is still there;
 * - SIGKILL and restart without persistence: every session is gone, and each
 *   client reads a clean "no session" — never another user's data;
 * - SIGSTOP for two seconds, then SIGCONT: calls time out (503) within
 *   commandTimeout, nothing acknowledged is lost, service resumes by itself.
 */
import { afterAll, expect, it } from "vitest";
import type { SessionStore } from "../../src/core/store.js";
import { createStore } from "../../src/stores/create-store.js";
import { type PrivateRedis, redisServerMissing, startRedis } from "../support/redis-server.js";
import { describeWithService } from "../support/services.js";
import { expectNothingLost, printRows, seconds } from "./support/report.js";
import { runScenario, sleep } from "./support/scenario.js";

const COMMAND_TIMEOUT = 500;

async function open(redis: PrivateRedis): Promise<SessionStore> {
  return createStore(`${redis.url}?commandTimeout=${COMMAND_TIMEOUT}&connectTimeout=500`, {
    onConnectionError: () => undefined,
  });
}

/** GET /me with a cookie, retried while the app answers 503 (the store reconnecting). */
async function me(base: string, cookie: string): Promise<{ user: unknown; data: unknown }> {
  for (let i = 0; ; i++) {
    const r = await fetch(`${base}/me`, { headers: { cookie } });
    if (r.status === 200) return (await r.json()) as { user: unknown; data: unknown };
    if (i >= 50) throw new Error(`GET /me answered ${r.status}`);
    await sleep(100);
  }
}

describeWithService("redis-server", redisServerMissing(), "faults: redis killed, frozen", () => {
  afterAll(printRows);

  it("SIGKILL + restart with AOF appendfsync always: no acknowledged write lost", {
    timeout: 120_000,
  }, async () => {
    const redis = await startRedis(["appendonly yes", "appendfsync always"]);
    const store = await open(redis);
    try {
      const { result, notes } = await runScenario({
        scenario: "redis SIGKILL+restart, AOF always",
        store: "redis",
        open: store,
        warmMs: seconds(1, 10),
        fault: async (w) => {
          w.fault();
          await redis.kill();
          await sleep(1000);
          await redis.restart();
          w.healed();
        },
        afterMs: seconds(3, 15),
      });
      expectNothingLost(result, notes);
      expect(result.errors["503"]).toBeGreaterThan(0);
      expect(result.recoveryMs).not.toBeNull();
    } finally {
      await store.close?.();
      await redis.stop();
    }
  });

  it("SIGKILL + restart without persistence: clean 'no session', never another user's data", {
    timeout: 120_000,
  }, async () => {
    const redis = await startRedis();
    const store = await open(redis);
    // The server's run_id before the kill and after the restart: a new process
    // on our port, so the wipe really happened (no persistence).
    const runIds: string[] = [];
    let probeBase = "";
    let probeCookie = "";
    let probeAfter: unknown;
    const runId = async () =>
      /run_id:(\w+)/.exec(String(await redis.command(["INFO", "server"])))?.[1];
    try {
      const { result, notes } = await runScenario({
        scenario: "redis SIGKILL+restart, no persistence",
        store: "redis",
        open: store,
        warmMs: seconds(1, 10),
        fault: async (w) => {
          runIds.push(String(await runId()));
          // A session of our own, created before the wipe: the clients may all
          // log out or replace theirs during the outage, this one stays put.
          probeBase = w.base;
          const login = await fetch(`${w.base}/login?user=wipe-probe`, { method: "POST" });
          probeCookie = String(login.headers.get("set-cookie")).split(";")[0]!;
          expect((await me(probeBase, probeCookie)).user).toBe("wipe-probe");
          w.fault();
          w.wiped();
          await redis.kill();
          await sleep(1000);
          await redis.restart();
          runIds.push(String(await runId()));
          w.healed();
          probeAfter = await me(probeBase, probeCookie);
        },
        afterMs: seconds(3, 15),
      });
      expect(runIds[1]).not.toBe(runIds[0]);
      // After the restart the probe's cookie read a clean "no session".
      expect(probeAfter).toEqual({ user: null, data: {} });
      expectNothingLost(result, notes);
      // The clients' own wiped sessions are read back clean too, when any
      // survived the outage on their side (a client logs out or replaces a
      // device while the store is down, so none may be left: the probe above
      // is the check that always runs).
    } finally {
      await store.close?.();
      await redis.stop();
    }
  });

  it("SIGSTOP for 2 s, then SIGCONT: 503 within the timeout, nothing lost, recovers", {
    timeout: 120_000,
  }, async () => {
    const redis = await startRedis(["appendonly yes", "appendfsync always"]);
    const store = await open(redis);
    try {
      const { result, notes } = await runScenario({
        scenario: "redis SIGSTOP 2 s / SIGCONT",
        store: "redis",
        open: store,
        warmMs: seconds(1, 10),
        fault: async (w) => {
          w.fault();
          redis.signal("SIGSTOP");
          await sleep(2000);
          redis.signal("SIGCONT");
          w.healed();
        },
        afterMs: seconds(3, 15),
      });
      expectNothingLost(result, notes);
      expect(result.errors["503"]).toBeGreaterThan(0);
      // commandTimeout holds: no request waits much past it (plus a loaded machine's slack).
      expect(result.p99FaultMs).toBeLessThan(COMMAND_TIMEOUT * 1.25 + 1500);
      expect(result.errors.timeout).toBe(0);
    } finally {
      redis.signal("SIGCONT");
      await store.close?.();
      await redis.stop();
    }
  });
});
