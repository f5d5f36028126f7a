/**
 * A slow or lossy network between the app and Redis: a TCP proxy on
 * loopback (support/proxy.ts) in front of a private redis-server.
 * - 150 ms each way: requests slow down but succeed;
 * - a partition (the proxy accepts and forwards nothing) for 3 s: requests
 *   answer 503 within commandTimeout, the event loop stays responsive, the
 *   heap does not grow with the commands left waiting; a store opened
 *   against a server that accepts but never answers fails within
 *   connectTimeout;
 * - every connection reset, repeatedly, for 2 s;
 * - a lossy link resetting 2% of chunks' connections for 3 s.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { SessionStore } from "../../src/core/store.js";
import { createStore } from "../../src/stores/create-store.js";
import { type PrivateRedis, redisServerMissing, startRedis } from "../support/redis-server.js";
import { describeWithService } from "../support/services.js";
import { FaultProxy } from "./support/proxy.js";
import { expectNothingLost, printRows, seconds } from "./support/report.js";
import { runScenario, sleep } from "./support/scenario.js";

const COMMAND_TIMEOUT = 500;
const CONNECT_TIMEOUT = 500;

describeWithService("redis-server", redisServerMissing(), "faults: slow and lossy network", () => {
  let redis: PrivateRedis;
  let proxy: FaultProxy;
  let store: SessionStore;
  beforeAll(async () => {
    redis = await startRedis(["appendonly yes", "appendfsync always"]);
    proxy = await FaultProxy.start({ host: "127.0.0.1", port: redis.port });
    store = await createStore(
      `redis://127.0.0.1:${proxy.port}?commandTimeout=${COMMAND_TIMEOUT}&connectTimeout=${CONNECT_TIMEOUT}`,
      { onConnectionError: () => undefined },
    );
  });
  afterAll(async () => {
    printRows();
    await store?.close?.();
    await proxy?.close();
    await redis?.stop();
  });

  it("150 ms of latency each way: slower, still correct", { timeout: 120_000 }, async () => {
    const { result, notes } = await runScenario({
      scenario: "network +150 ms each way, 3 s",
      store: "redis via proxy",
      open: store,
      warmMs: seconds(1, 10),
      fault: async (w) => {
        w.fault();
        proxy.set({ kind: "latency", ms: 150 });
        await sleep(3000);
        proxy.set({ kind: "pass" });
        w.healed();
      },
      afterMs: seconds(2, 10),
    });
    expectNothingLost(result, notes);
    expect(result.p99FaultMs).toBeGreaterThanOrEqual(300);
  });

  it("a 3 s partition: 503 within the timeout, responsive loop, no heap growth", {
    timeout: 120_000,
  }, async () => {
    let connectFailedMs = -1;
    const { result, notes } = await runScenario({
      scenario: "network partition 3 s (accepts, never answers)",
      store: "redis via proxy",
      open: store,
      warmMs: seconds(1, 10),
      fault: async (w) => {
        w.fault();
        proxy.set({ kind: "hold" });
        // A store opened now meets a server that accepts and never answers.
        const t0 = Date.now();
        const opening = await createStore(
          `redis://127.0.0.1:${proxy.port}?connectTimeout=${CONNECT_TIMEOUT}`,
          { onConnectionError: () => undefined },
        ).catch((err: unknown) => err);
        connectFailedMs = Date.now() - t0;
        if (!(opening instanceof Error)) await (opening as SessionStore).close?.();
        expect(opening).toBeInstanceOf(Error);
        await sleep(3000 - connectFailedMs);
        proxy.set({ kind: "pass" });
        w.healed();
      },
      afterMs: seconds(2, 10),
      extra: () =>
        `createStore against a server that never answers failed after ${connectFailedMs} ms (connectTimeout ${CONNECT_TIMEOUT})`,
    });
    expectNothingLost(result, notes);
    expect(result.errors["503"]).toBeGreaterThan(0);
    expect(result.errors.timeout).toBe(0);
    expect(result.p99FaultMs).toBeLessThan(COMMAND_TIMEOUT * 1.25 + 1500);
    expect(connectFailedMs).toBeLessThan(CONNECT_TIMEOUT + 1500);
    // Commands left waiting are bounded by the deadline, not by the partition's length.
    expect(result.heapPeakMb - result.heapStartMb).toBeLessThan(100);
    expect(result.loopLagP99Ms).toBeLessThan(500);
  });

  it("every connection reset, repeatedly, for 2 s", { timeout: 120_000 }, async () => {
    const { result, notes } = await runScenario({
      scenario: "connections reset (RST) for 2 s",
      store: "redis via proxy",
      open: store,
      warmMs: seconds(1, 10),
      fault: async (w) => {
        w.fault();
        proxy.set({ kind: "reset" });
        await sleep(2000);
        proxy.set({ kind: "pass" });
        w.healed();
      },
      afterMs: seconds(2, 10),
      extra: () => `${proxy.resets} resets, ${proxy.accepted} connections accepted in all`,
    });
    expectNothingLost(result, notes);
    expect(result.errors["503"]).toBeGreaterThan(0);
    expect(result.recoveryMs).not.toBeNull();
  });

  it("a lossy link: 2% of chunks reset their connection, for 3 s", {
    timeout: 120_000,
  }, async () => {
    const { result, notes } = await runScenario({
      scenario: "lossy link (2% chunk → RST), 3 s",
      store: "redis via proxy",
      open: store,
      warmMs: seconds(1, 10),
      fault: async (w) => {
        w.fault();
        proxy.set({ kind: "lossy", p: 0.02 });
        await sleep(3000);
        proxy.set({ kind: "pass" });
        w.healed();
      },
      afterMs: seconds(2, 10),
    });
    expectNothingLost(result, notes);
  });
});
