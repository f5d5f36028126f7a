/** Redis store URLs: every accepted form parses to the right topology, and a bad one is a clear BadStoreUrlError. */
import { describe, expect, it } from "vitest";
import { BadStoreUrlError, ConfigurationError } from "../../../src/core/errors.js";
import { createStore } from "../../../src/stores/create-store.js";
import { createRedisStore } from "../../../src/stores/redis/index.js";
import { pieces } from "../../../src/stores/redis/layout.js";
import { parseRedisUrl } from "../../../src/stores/redis/url.js";

describe("redis store URLs", () => {
  it("parses standalone, TLS, cluster and sentinel URLs", () => {
    expect(parseRedisUrl("redis://127.0.0.1:6379/2")).toMatchObject({
      topology: "standalone",
      tls: false,
      nodes: [{ host: "127.0.0.1", port: 6379 }],
      database: 2,
    });
    expect(parseRedisUrl("rediss://app:p%40ss@cache.example:6380")).toMatchObject({
      topology: "standalone",
      tls: true,
      username: "app",
      password: "p@ss",
      nodes: [{ host: "cache.example", port: 6380 }],
    });
    expect(parseRedisUrl("redis://:secret@[::1]")).toMatchObject({
      password: "secret",
      nodes: [{ host: "::1", port: 6379 }],
    });
    expect(parseRedisUrl("redis+cluster://10.0.0.1:7000,10.0.0.2:7001?keyPrefix=a:")).toMatchObject(
      {
        topology: "cluster",
        nodes: [
          { host: "10.0.0.1", port: 7000 },
          { host: "10.0.0.2", port: 7001 },
        ],
      },
    );
    const s = parseRedisUrl("redis+sentinel://h1:26379,h2/mymaster/3");
    expect(s).toMatchObject({
      topology: "sentinel",
      masterName: "mymaster",
      database: 3,
      nodes: [
        { host: "h1", port: 26379 },
        { host: "h2", port: 26379 },
      ],
    });
  });

  it.each([
    ["redis://h1:1,h2:2", /redis\+cluster/],
    ["redis+sentinel://h1:26379", /name the master/],
    ["redis+cluster://h:7000/1", /database 0/],
    ["redis://h:99999", /out of range/],
    ["redis://h/abc", /not a number/],
    ["redis://h?commandTimeout=soon", /commandTimeout/],
    ["redis://user:hunter2@h:x", /not host\[:port\]/],
    // Found by test/fuzz/store-urls.test.ts: such hosts used to be accepted.
    ["redis://user:hunter2@my host:6379", /not host\[:port\]/],
    ["redis+cluster://h1:7000,<h2>:7001", /not host\[:port\]/],
  ])("refuses %s with a clear error", async (bad, why) => {
    const err = await createStore(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadStoreUrlError);
    expect((err as Error).message).toMatch(why);
    expect((err as Error).message).not.toContain("hunter2");
  });

  it("refuses options that cannot work", async () => {
    await expect(createRedisStore({})).rejects.toBeInstanceOf(ConfigurationError);
    await expect(
      createRedisStore({ url: "redis://127.0.0.1", commandTimeout: 0 }),
    ).rejects.toBeInstanceOf(ConfigurationError);
  });

  it("cuts a user agent into pieces of at most 64 bytes without splitting a character", () => {
    const ua = `${"a".repeat(63)}é${"😀".repeat(20)}`;
    const cut = pieces(ua);
    expect(cut.join("")).toBe(ua);
    for (const p of cut) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(64);
    expect(pieces("")).toEqual([""]);
  });
});
