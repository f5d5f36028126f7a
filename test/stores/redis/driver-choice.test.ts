/**
 * Which client a `redis://` URL opens: node-redis by default, ioredis with
 * `?driver=ioredis` or when node-redis is not installed (simulated by a
 * driver loader that lacks the `redis` package, as `importDriver` reports
 * it). The client shows in the store's error messages, read here from a
 * real WRONGTYPE reply.
 */
import { testKey } from "cloakroom-sessions/testing";
import { expect, it } from "vitest";
import { MissingDriverError } from "../../../src/core/errors.js";
import { describeClient } from "../../../src/stores/redis/clients.js";
import { type DriverLoader, openRedis } from "../../../src/stores/redis/connect.js";
import { parseRedisUrl } from "../../../src/stores/redis/url.js";
import { importDriver } from "../../../src/util/driver.js";
import { describeWithService, probe, SERVICE_URLS } from "../../support/services.js";

const url = SERVICE_URLS.redis;
const unavailable = await probe("redis", async () => {
  const { Redis } = await import("ioredis");
  const c = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
  await c.connect();
  c.disconnect();
});

/** The client family the store names when Redis answers an error. */
async function clientOf(storeUrl: string): Promise<string> {
  const { createStore } = await import("../../../src/stores/create-store.js");
  const store = await createStore(storeUrl, { keyPrefix: "cr:drv:" });
  const key = testKey();
  const { sessionKey } = await import("../../../src/stores/redis/layout.js");
  const { Redis } = await import("ioredis");
  const raw = new Redis(url);
  try {
    await raw.set(sessionKey("cr:drv:", key), "not a hash");
    const err = await store.get(key, Date.now()).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/WRONGTYPE/);
    return /\((ioredis|node-redis)\)/.exec(err!.message)?.[1] ?? "unknown";
  } finally {
    await raw.del(sessionKey("cr:drv:", key));
    raw.disconnect();
    await store.close?.();
  }
}

describeWithService("Redis", unavailable, "redis:// driver choice", () => {
  it("opens node-redis by default and ioredis when asked", async () => {
    expect(await clientOf(url)).toBe("node-redis");
    expect(await clientOf(`${url}?driver=ioredis`)).toBe("ioredis");
  });

  it("opens ioredis when node-redis is not installed, and names node-redis when neither is", async () => {
    const settings = { connectTimeout: 2000, onError: () => undefined };
    const without =
      (...missing: string[]): DriverLoader =>
      async (name, purpose) => {
        if (missing.includes(name)) throw new MissingDriverError(name, purpose);
        return importDriver(name, purpose);
      };
    const client = await openRedis(parseRedisUrl(url), settings, "auto", without("redis"));
    try {
      expect(describeClient(client)).toBe("ioredis");
    } finally {
      (client as { disconnect(): void }).disconnect();
    }
    const err = await openRedis(parseRedisUrl(url), settings, "auto", without("redis", "ioredis"))
      .then(() => null)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingDriverError);
    expect((err as MissingDriverError).packageName).toBe("redis");
  });

  it("refuses driver=ioredis for Cluster and Sentinel URLs, and an unknown driver", async () => {
    const { createStore } = await import("../../../src/stores/create-store.js");
    await expect(createStore("redis+cluster://127.0.0.1:1?driver=ioredis")).rejects.toThrow(
      /opens redis:\/\/ and rediss:\/\/ URLs only/,
    );
    await expect(createStore(`${url}?driver=valkey-glide`)).rejects.toThrow(
      /driver must be "auto", "ioredis" or "node-redis"/,
    );
  });
});
