/**
 * Redis down: every call fails fast with StoreUnavailableError (503 in the
 * adapters), nothing waits in a queue for Redis to return, and once it is back
 * on the same port the same store works again without being recreated.
 * On a private server, killed with SIGKILL (a crash, not a polite shutdown).
 */

import { record, testKey, touchOnly } from "cloakroom-sessions/testing";
import { createClient } from "redis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { StoreUnavailableError } from "../../../src/core/errors.js";
import type { SessionStore } from "../../../src/core/store.js";
import { createStore } from "../../../src/stores/create-store.js";
import { createRedisStore } from "../../../src/stores/redis/index.js";
import { type PrivateRedis, redisServerMissing, startRedis } from "../../support/redis-server.js";
import { describeWithService } from "../../support/services.js";

/** How long a call may take to fail while Redis is down. */
const FAIL_FAST_MS = 1500;

async function failsFast(call: () => Promise<unknown>) {
  const started = performance.now();
  const err = await call().then(
    () => null,
    (e: unknown) => e,
  );
  const took = performance.now() - started;
  expect(err).toBeInstanceOf(StoreUnavailableError);
  expect((err as StoreUnavailableError).status).toBe(503);
  expect(took).toBeLessThan(FAIL_FAST_MS);
}

describeWithService("redis-server", redisServerMissing(), "redis down and back", () => {
  let redis: PrivateRedis;
  let store: SessionStore;
  const key = testKey();

  beforeAll(async () => {
    redis = await startRedis();
    store = await createStore(redis.url, { onConnectionError: () => undefined });
    await store.create(key, record());
  });
  afterAll(async () => {
    await store?.close?.();
    await redis?.stop();
  });

  it("a slow Redis: a call gives up after commandTimeout with StoreUnavailableError", async () => {
    const impatient = await createStore(`${redis.url}?commandTimeout=300`);
    try {
      // CLIENT PAUSE answers once every other client is held: Redis "hangs" from here.
      await redis.command(["CLIENT", "PAUSE", "1500", "ALL"]);
      const started = performance.now();
      await expect(impatient.get(key, Date.now())).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(performance.now() - started).toBeLessThan(1000);
      // The pause ends by itself (a PING from another client is held until
      // then); the same store then answers again.
      await redis.command(["PING"]);
      expect(await impatient.get(key, Date.now())).not.toBeNull();
    } finally {
      await impatient.close?.();
    }
  });

  it("fails fast with StoreUnavailableError on every call while Redis is down", async () => {
    expect(await store.get(key, Date.now())).not.toBeNull();
    await redis.kill();
    const now = Date.now();
    await failsFast(() => store.get(key, now));
    await failsFast(() => store.create(testKey(), record({ userId: "u" })));
    await failsFast(() => store.patch(key, { set: { a: "1" }, unset: [], maxBytes: 1e5 }, now));
    await failsFast(() => store.patch(key, touchOnly(now, now + 60_000), now));
    await failsFast(() => store.destroy(key));
    await failsFast(() => store.listByUser("u", now));
    await failsFast(() => store.destroyByUser("u"));
  });

  it("serves again by itself once Redis is back, with nothing replayed from a queue", async () => {
    await redis.restart();
    // The client reconnects with a backoff capped at 2 s: poll with real calls.
    const deadline = Date.now() + 10_000;
    let ok = false;
    while (!ok && Date.now() < deadline) {
      ok = await store.get(key, Date.now()).then(
        () => true,
        () => false,
      );
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ok).toBe(true);
    // The server restarted empty (no persistence): the session is gone, and
    // the refused writes above were not queued and replayed.
    expect(await store.get(key, Date.now())).toBeNull();
    expect(await redis.command(["DBSIZE"])).toBe(0);
    const fresh = testKey();
    await store.create(fresh, record());
    expect(await store.get(fresh, Date.now())).not.toBeNull();
  });

  it("with a user's client that queues offline, a write that timed out is dropped, never run later", async () => {
    // A server that keeps its data across the crash (AOF, fsync always), so a
    // DEL replayed after the restart would show; scripts would not (their cache is lost).
    const durable = await startRedis(["appendonly yes", "appendfsync always"]);
    const client = createClient({ url: durable.url }); // node-redis defaults: offline queue on
    client.on("error", () => undefined);
    await client.connect();
    const patient = await createRedisStore({ client, commandTimeout: 300 });
    try {
      const key = testKey();
      await patient.create(key, record());
      await durable.kill();
      await expect(patient.destroy(key)).rejects.toBeInstanceOf(StoreUnavailableError);
      await durable.restart();
      // Real probe through the same client: once it answers, its queue has been flushed.
      const deadline = Date.now() + 10_000;
      while (String(await client.ping().catch(() => "")) !== "PONG") {
        if (Date.now() > deadline) throw new Error("client did not reconnect");
        await new Promise((r) => setTimeout(r, 100));
      }
      // The caller was told the logout failed (and will retry); it did not half-happen later.
      expect(await patient.get(key, Date.now())).not.toBeNull();
    } finally {
      client.destroy();
      await durable.stop();
    }
  });

  it("from a URL with ?driver=ioredis, a write in flight when the connection drops is not sent again after the reconnect", async () => {
    // ioredis resends unanswered commands after a reconnect by default; a
    // logout the caller was told had failed would then happen later, by itself.
    const durable = await startRedis(["appendonly yes", "appendfsync always"]);
    const s = await createStore(`${durable.url}?driver=ioredis&commandTimeout=300`, {
      onConnectionError: () => undefined,
    });
    try {
      const key = testKey();
      await s.create(key, record());
      durable.signal("SIGSTOP"); // the destroy is sent and gets no answer
      await expect(s.destroy(key)).rejects.toBeInstanceOf(StoreUnavailableError);
      await durable.kill(); // the connection with the destroy in flight drops
      await durable.restart();
      const deadline = Date.now() + 10_000;
      let back = false;
      while (!back && Date.now() < deadline) {
        back = await s.get(testKey(), Date.now()).then(
          () => true,
          () => false,
        );
        if (!back) await new Promise((r) => setTimeout(r, 100));
      }
      expect(back).toBe(true);
      await new Promise((r) => setTimeout(r, 200)); // time for a resend to land, were there one
      expect(await s.get(key, Date.now())).not.toBeNull();
    } finally {
      await s.close?.();
      await durable.stop();
    }
  }, 30_000);

  it("createStore fails with StoreUnavailableError, not a hang, when Redis is not there", async () => {
    const started = performance.now();
    await expect(
      createStore("redis://127.0.0.1:1?connectTimeout=500", { onConnectionError: () => undefined }),
    ).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
