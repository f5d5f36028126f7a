/**
 * The store conformance suite on standalone Redis, through the clients the
 * store opens from a URL (node-redis by default, ioredis with
 * `?driver=ioredis`) and through an ioredis client the user passes in; plus what is particular to Redis: key layout, TTL at the earlier
 * deadline, listpack encoding, lazy index pruning.
 */

import { record, storeConformance, testKey, testUser, touchOnly } from "cloakroom-sessions/testing";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionStore } from "../../../src/core/store.js";
import { createStore } from "../../../src/stores/create-store.js";
import { createRedisStore } from "../../../src/stores/redis/index.js";
import { sessionKey, userKey } from "../../../src/stores/redis/layout.js";
import { describeWithService, probe, SERVICE_URLS } from "../../support/services.js";

const url = SERVICE_URLS.redis;
const unavailable = await probe("redis", async () => {
  const c = createClient({ url, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  c.on("error", () => undefined);
  await c.connect();
  try {
    await c.ping();
  } finally {
    c.destroy();
  }
});

describeWithService("Redis", unavailable, "redis store (standalone)", () => {
  storeConformance("redis (node-redis from URL, the default)", {
    open: () => createStore(url, { keyPrefix: "cr:t:" }),
  });

  storeConformance("redis (ioredis from URL, ?driver=ioredis)", {
    open: () => createStore(`${url}?driver=ioredis`, { keyPrefix: "cr:ior:" }),
  });

  const ioClients: Redis[] = [];
  storeConformance("redis (ioredis client passed in)", {
    open: async () => {
      const client = new Redis(url, { enableOfflineQueue: false });
      await new Promise<void>((resolve, reject) => {
        client.once("ready", resolve);
        client.once("error", reject);
      });
      ioClients.push(client);
      return createRedisStore({ client, keyPrefix: "cr:io:" });
    },
    cleanup: async () => {
      for (const c of ioClients.splice(0)) await c.quit();
    },
  });

  describe("redis layout", () => {
    let store: SessionStore;
    const raw = createClient({ url });
    beforeAll(async () => {
      store = await createStore(url, { keyPrefix: "cr:t:" });
      await raw.connect();
    });
    afterAll(async () => {
      await store.close?.();
      raw.destroy();
    });

    it("keeps one compact hash per session, expiring at the earlier deadline", async () => {
      const key = testKey();
      const now = Date.now();
      const r = record({ idleExpiresAt: now + 60_000, absoluteExpiresAt: now + 3_600_000 });
      await store.create(key, r);
      const k = sessionKey("cr:t:", key);
      expect(await raw.type(k)).toBe("hash");
      expect(await raw.sendCommand(["OBJECT", "ENCODING", k])).toBe("listpack");
      expect(await raw.pExpireTime(k)).toBe(r.idleExpiresAt);
      const fields = Object.keys(await raw.hGetAll(k)).sort();
      // t times, p ip, g+g1 the user agent in ≤64-byte pieces, one field per data key.
      expect(fields).toEqual([":cart", ":name", "g", "g1", "p", "t"]);
    });

    it("never sets the TTL past the absolute deadline, even when touched beyond it", async () => {
      const key = testKey();
      const now = Date.now();
      const r = record({ idleExpiresAt: now + 60_000, absoluteExpiresAt: now + 120_000 });
      await store.create(key, r);
      expect(await store.patch(key, touchOnly(now + 1000, now + 10 * 60_000), now + 1000)).toBe(
        "ok",
      );
      expect(await raw.pExpireTime(sessionKey("cr:t:", key))).toBe(r.absoluteExpiresAt);
    });

    it("keeps a long user agent exactly, including multi-byte characters at piece edges", async () => {
      const key = testKey();
      const userAgent = `${"é".repeat(33)}${"x".repeat(100)}✓${"😀".repeat(40)}`;
      await store.create(key, record({ userAgent }));
      expect((await store.get(key, Date.now()))?.userAgent).toBe(userAgent);
      expect(await raw.sendCommand(["OBJECT", "ENCODING", sessionKey("cr:t:", key)])).toBe(
        "listpack",
      );
    });

    it("drops index members whose session is gone, and the index expires with its last session", async () => {
      const userId = testUser();
      const [a, b] = [testKey(), testKey()];
      const r = record({ userId });
      await store.create(a, r);
      await store.create(b, r);
      const u = userKey("cr:t:", userId);
      expect(await raw.pExpireTime(u)).toBe(r.absoluteExpiresAt);
      await store.destroy(a);
      expect(await raw.zCard(u)).toBe(2);
      expect((await store.listByUser(userId, Date.now())).map((s) => s.key)).toEqual([b]);
      // Kept for a minute: a create writes its index entry before its session,
      // and an entry unindexed in between would escape revocation (issue 10).
      expect(await raw.zCard(u)).toBe(2);
      const later = Date.now() + 61_000;
      expect((await store.listByUser(userId, later)).map((s) => s.key)).toEqual([b]);
      expect(await raw.zRange(u, 0, -1)).toEqual([`${b}.${r.createdAt}`]);
    });
  });
});
