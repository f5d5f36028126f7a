/**
 * The store conformance suite on a real 6-node Redis Cluster (3 masters,
 * 3 replicas, started by scripts/services/redis-cluster.sh), through node-redis
 * opened from a `redis+cluster://` URL and through an ioredis Cluster passed
 * in. Every command the store sends names one key, so none can fail with
 * CROSSSLOT; the test also checks that sessions really spread over the masters.
 */

import { randomBytes } from "node:crypto";
import { record, storeConformance, testKey } from "cloakroom-sessions/testing";
import { Cluster } from "ioredis";
import { createCluster } from "redis";
import { describe, expect, it } from "vitest";
import { bufferOutput } from "../../../src/cli/output.js";
import { run } from "../../../src/cli/run.js";
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

  describe("stats on a cluster (issue 14: it threw BAD_CONFIGURATION)", () => {
    /** 12 sessions of 3 users + 3 anonymous, under a prefix of their own, over every master. */
    async function fill(store: {
      create: (k: string, r: ReturnType<typeof record>) => Promise<unknown>;
    }) {
      for (let i = 0; i < 12; i++) await store.create(testKey(), record({ userId: `u${i % 3}` }));
      for (let i = 0; i < 3; i++) await store.create(testKey(), record());
    }
    // Random: keys from an earlier run (30-minute TTL) must not be counted.
    const prefix = () => `cr:st:${randomBytes(6).toString("hex")}:`;

    it("node-redis from a URL: SCANs every master and counts all of them", async () => {
      const keyPrefix = prefix();
      const store = await createStore(url, { keyPrefix });
      try {
        await fill(store);
        expect(await store.stats!(Date.now())).toEqual({ live: 15, expired: null, users: 3 });
      } finally {
        await store.close?.();
      }
    });

    it("an ioredis Cluster passed in: the same counts", async () => {
      const client = new Cluster(seeds, { enableOfflineQueue: false });
      await new Promise<void>((resolve, reject) => {
        client.once("ready", resolve);
        client.once("error", reject);
      });
      const store = await createRedisStore({ client, keyPrefix: prefix() });
      try {
        await fill(store);
        expect(await store.stats()).toEqual({ live: 15, expired: null, users: 3 });
      } finally {
        await store.close();
        await client.quit();
      }
    });

    it("cloakroom-sessions stats <redis+cluster URL> --json prints them", async () => {
      const keyPrefix = prefix();
      const store = await createStore(url, { keyPrefix });
      await fill(store);
      await store.close?.();
      const out = bufferOutput();
      const code = await run(
        ["stats", `${url}?keyPrefix=${encodeURIComponent(keyPrefix)}`, "--json"],
        out,
      );
      expect(code, [...out.lines, ...out.errors].join("\n")).toBe(0);
      expect(JSON.parse(out.lines[0]!)).toMatchObject({ live: 15, expired: null, users: 3 });
    });
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
        await store.close?.();
        await raw.close();
      }
    });
  });
});
