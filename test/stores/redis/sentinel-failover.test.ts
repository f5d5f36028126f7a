/**
 * Failover behind Sentinel, on private servers (never the shared ones): a
 * master, a replica and three sentinels on free ports. A session is written
 * with `replicaAcks: 1` (each write WAITs for the replica), the master is
 * killed, Sentinel promotes the replica, and the same store carries on: the
 * session is still there, and writes go to the new master — refused while it
 * has no replica to acknowledge them, accepted again once the old master is
 * back as its replica.
 */

import { record, testKey, testUser } from "cloakroom-sessions/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { StoreUnavailableError } from "../../../src/core/errors.js";
import type { SessionStore } from "../../../src/core/store.js";
import { createStore } from "../../../src/stores/create-store.js";
import {
  command,
  freePort,
  type PrivateRedis,
  redisServerMissing,
  startRedis,
} from "../../support/redis-server.js";
import { describeWithService } from "../../support/services.js";

const NAME = "failover-test";

/** A field of a map reply: an object (RESP3, node-redis' default) or a flat array (RESP2). */
function field(reply: unknown, name: string): string | undefined {
  if (Array.isArray(reply)) return reply[reply.indexOf(name) + 1] as string | undefined;
  return (reply as Record<string, string>)[name];
}

/** Polls `check` (a real query) every 100 ms until it returns true. */
async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await check().catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeWithService("redis-server", redisServerMissing(), "redis sentinel failover", () => {
  let master: PrivateRedis;
  let replica: PrivateRedis;
  const sentinels: PrivateRedis[] = [];
  let store: SessionStore;

  beforeAll(async () => {
    master = await startRedis();
    replica = await startRedis([`replicaof 127.0.0.1 ${master.port}`]);
    for (let n = 0; n < 3; n++) {
      sentinels.push(
        await startRedis(
          [
            `sentinel monitor ${NAME} 127.0.0.1 ${master.port} 2`,
            // Seconds, not the default 30 s + 3 min: the test must stay short.
            `sentinel down-after-milliseconds ${NAME} 1000`,
            `sentinel failover-timeout ${NAME} 3000`,
          ],
          { port: await freePort(), sentinel: true },
        ),
      );
    }
    await until("sentinels see the replica and each other", 20_000, async () => {
      const info = await command(sentinels[0]!.port, ["SENTINEL", "MASTER", NAME]);
      return field(info, "num-slaves") === "1" && field(info, "num-other-sentinels") === "2";
    });
    await until("the replica is in sync", 20_000, async () =>
      String(await master.command(["INFO", "replication"])).includes("state=online"),
    );
    const hosts = sentinels.map((s) => `127.0.0.1:${s.port}`).join(",");
    store = await createStore(`redis+sentinel://${hosts}/${NAME}?replicaAcks=1`, {
      onConnectionError: () => undefined,
    });
  }, 60_000);

  afterAll(async () => {
    await store?.close?.();
    for (const s of [...sentinels, replica, master]) await s?.stop();
  });

  it("keeps an acknowledged session through the failover, and carries on writing", {
    timeout: 90_000,
  }, async () => {
    const key = testKey();
    const userId = testUser();
    const r = record({ userId });
    await store.create(key, r);
    expect(
      await store.patch(key, { set: { step: '"before"' }, unset: [], maxBytes: 1e5 }, Date.now()),
    ).toBe("ok");

    await master.kill();
    await until("Sentinel promotes the replica", 20_000, async () => {
      const addr = (await command(sentinels[0]!.port, [
        "SENTINEL",
        "GET-MASTER-ADDR-BY-NAME",
        NAME,
      ])) as string[];
      return Number(addr[1]) === replica.port;
    });

    // The same store finds the new master by itself (calls fail fast until then).
    await until("the store reads from the new master", 20_000, async () => {
      return (await store.get(key, Date.now())) !== null;
    });
    const got = await store.get(key, Date.now());
    expect(got?.data).toEqual({ ...r.data, step: '"before"' });
    expect((await store.listByUser(userId, Date.now())).map((s) => s.key)).toEqual([key]);
    expect(await replica.command(["ROLE"])).toContain("master");

    // The new master has no replica yet: with replicaAcks=1 a write is refused
    // (fail closed), not reported as safe.
    const after = { set: { step: '"after"' }, unset: [], maxBytes: 1e5 };
    await expect(store.patch(key, after, Date.now())).rejects.toBeInstanceOf(StoreUnavailableError);
    // The old master comes back; Sentinel turns it into the new master's replica.
    await master.restart();
    await until("writes are acknowledged again", 30_000, async () => {
      return (await store.patch(key, after, Date.now())) === "ok";
    });
    expect((await store.get(key, Date.now()))?.data.step).toBe('"after"');
  });
});
