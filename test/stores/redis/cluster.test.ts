/**
 * The store conformance suite on a real 6-node Redis Cluster (3 masters,
 * 3 replicas, started by scripts/services/redis-cluster.sh), through node-redis
 * opened from a `redis+cluster://` URL and through an ioredis Cluster passed
 * in. Every command the store sends names one key, so none can fail with
 * CROSSSLOT; the test also checks that sessions really spread over the masters.
 */

import { record, storeConformance, testKey } from "cloakroom-sessions/testing";
import { Cluster } from "ioredis";
import { createCluster } from "redis";
import { describe, expect, it } from "vitest";
import { createStore } from "../../../src/stores/create-store.js";
import { createRedisStore } from "../../../src/stores/redis/index.js";
import { sessionKey } from "../../../src/stores/redis/layout.js";
import { parseRedisUrl } from "../../../src/stores/redis/url.js";
import { describeWithService, probe, SERVICE_URLS } from "../../support/services.js";

const url = SERVICE_URLS.redisCluster;
const seeds = parseRedisUrl(url).nodes;

const unavailable = await probe("redis cluster", async () => {
  const c = createCluster({
    rootNodes: seeds.map((n) => ({
      socket: { ...n, connectTimeout: 1000, reconnectStrategy: false },
    })),
  });
  c.on("error", () => undefined);
  await c.connect();
  try {
    const info = String(await c.sendCommand(undefined, true, ["CLUSTER", "INFO"]));
    if (!info.includes("cluster_state:ok")) throw new Error("cluster_state is not ok");
  } finally {
    await c.destroy();
  }
});

describeWithService("Redis Cluster", unavailable, "redis store (cluster)", () => {
  storeConformance("redis cluster (node-redis from URL)", {
    open: () => createStore(url, { keyPrefix: "cr:t:" }),
  });

  const clusters: Cluster[] = [];
  storeConformance("redis cluster (ioredis Cluster passed in)", {
    open: async () => {
      const client = new Cluster(seeds, { enableOfflineQueue: false });
      await new Promise<void>((resolve, reject) => {
        client.once("ready", resolve);
        client.once("error", reject);
      });
      clusters.push(client);
      return createRedisStore({ client, keyPrefix: "cr:io:" });
    },
    cleanup: async () => {
      for (const c of clusters.splice(0)) await c.quit();
    },
  });

  describe("redis cluster layout", () => {
    it("spreads sessions over every master (no hash tag pins them to one slot)", async () => {
      const store = await createStore(url, { keyPrefix: "cr:t:" });
      const raw = createCluster({ rootNodes: seeds.map((n) => ({ socket: n })) });
      await raw.connect();
      try {
        const keys = Array.from({ length: 30 }, testKey);
        for (const k of keys) await store.create(k, record());
        const owners = new Set<string>();
        for (const k of keys) {
          const slot = Number(
            await raw.sendCommand(undefined, true, ["CLUSTER", "KEYSLOT", sessionKey("cr:t:", k)]),
          );
          const master = raw.slots[slot]?.master;
          owners.add(`${master?.host}:${master?.port}`);
        }
        expect(owners.size).toBe(3);
        for (const k of keys) expect(await store.get(k, Date.now())).not.toBeNull();
      } finally {
        await store.close();
        await raw.close();
      }
    });
  });
});
