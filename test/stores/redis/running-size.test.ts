/**
 * The running size `s` the Redis scripts keep (layout.ts) for sessions of
 * SIZE_FIELD_FROM bytes or more: it always equals encodedSize of the data
 * fields, through create, patch (set, replace, unset, both at once) and
 * consumeField; a small session has none; a record written before `s`
 * existed still reads, patches and is limited exactly, and gains its `s`
 * on that first patch; and a write's cost in Redis does not grow with the
 * session (a private redis-server counts the commands inside the script).
 */

import { record, testKey } from "cloakroom-sessions/testing";
import { createClient, type RedisClientType } from "redis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { encodedSize } from "../../../src/core/codec.js";
import type { SessionStore } from "../../../src/core/store.js";
import { createStore } from "../../../src/stores/create-store.js";
import { encodeSession, SIZE_FIELD_FROM, sessionKey } from "../../../src/stores/redis/layout.js";
import { type PrivateRedis, redisServerMissing, startRedis } from "../../support/redis-server.js";
import { describeWithService } from "../../support/services.js";

describeWithService("redis-server", redisServerMissing(), "redis running size", () => {
  let redis: PrivateRedis;
  let raw: RedisClientType;
  let store: SessionStore;
  const k = (key: string) => sessionKey("cr:", key);
  const sizeField = async (key: string) => raw.hGet(k(key), "s");
  const dataSize = async (key: string) => encodedSize((await store.get(key, Date.now()))!.data);

  beforeAll(async () => {
    redis = await startRedis();
    raw = createClient({ url: redis.url }) as RedisClientType;
    await raw.connect();
    store = await createStore(redis.url);
  });
  afterAll(async () => {
    await store?.close?.();
    raw?.destroy();
    await redis?.stop();
  });

  const big = JSON.stringify("b".repeat(SIZE_FIELD_FROM));
  const patch = (key: string, set: Record<string, string>, unset: string[], maxBytes = 64 * 1024) =>
    store.patch(key, { set, unset, maxBytes }, Date.now());

  it("equals encodedSize of the data after create, set, replace, unset and consume", async () => {
    const key = testKey();
    await store.create(key, record({ data: { big, name: '"Ada é"' } }));
    expect(await sizeField(key)).toBe(String(await dataSize(key)));
    const steps: [Record<string, string>, string[]][] = [
      [{ theme: '"dark"' }, []],
      [{ name: '"Grace Hopper ✓"' }, []],
      [{ big: "[]", extra: "1" }, ["theme"]],
      // Set and unset the same key: the unset wins, and its bytes are not counted.
      [{ gone: '"x"' }, ["gone", "absent"]],
    ];
    // The last steps leave the session under SIZE_FIELD_FROM: `s` stays, exact.
    for (const [set, unset] of steps) {
      expect(await patch(key, set, unset)).toBe("ok");
      expect(await sizeField(key)).toBe(String(await dataSize(key)));
    }
    expect(await patch(key, { nonce: '"n-1"' }, [])).toBe("ok");
    expect(await store.consumeField!(key, "nonce", "n-1", Date.now())).toBe(true);
    expect((await store.get(key, Date.now()))?.data.nonce).toBeUndefined();
    expect(await sizeField(key)).toBe(String(await dataSize(key)));
  });

  it("is not kept for a small session (memory) until a patch makes it large", async () => {
    const key = testKey();
    await store.create(key, record());
    expect(await patch(key, { theme: '"dark"' }, [])).toBe("ok");
    expect(await sizeField(key)).toBeNull();
    expect(await patch(key, { big }, [])).toBe("ok");
    expect(await sizeField(key)).toBe(String(await dataSize(key)));
  });

  it("reads and patches a record written without `s`, limiting it exactly, and adds `s`", async () => {
    const key = testKey();
    const r = record({ data: { big, name: '"Ada"' } });
    // The layout before the running size: the same fields, no `s`.
    await raw.sendCommand(["HSET", k(key), ...encodeSession(r)]);
    await raw.pExpireAt(k(key), r.idleExpiresAt);
    expect(await sizeField(key)).toBeNull();
    expect((await store.get(key, Date.now()))?.data).toEqual(r.data);
    const set = { theme: '"dark"' };
    const size = encodedSize({ ...r.data, ...set });
    expect(await patch(key, set, [], size - 1)).toBe("too_large");
    expect(await sizeField(key)).toBeNull(); // a refused patch writes nothing
    expect(await patch(key, set, [], size)).toBe("ok");
    expect(await sizeField(key)).toBe(String(size));
    // consumeField on a record without `s` leaves it to the next patch.
    const other = testKey();
    await raw.sendCommand(["HSET", k(other), ...encodeSession({ ...r, data: { big, n: '"v"' } })]);
    expect(await store.consumeField!(other, "n", "v", Date.now())).toBe(true);
    expect(await sizeField(other)).toBeNull();
    const after = encodedSize({ big, a: "1" });
    expect(await patch(other, { a: "1" }, [], after - 1)).toBe("too_large");
    expect(await patch(other, { a: "1" }, [], after)).toBe("ok");
    expect(await sizeField(other)).toBe(String(after));
  });

  it("costs a 32 KiB session's write the same commands as a 1 KiB one's: no whole-hash read", async () => {
    const calls = async (kib: number) => {
      const key = testKey();
      const data: Record<string, string> = {};
      for (let n = 0; n < 32; n++) data[`k${n}`] = JSON.stringify("x".repeat(kib * 32 - 8));
      await store.create(key, record({ data }));
      await store.patch(key, { set: { warm: "1" }, unset: [], maxBytes: 64 * 1024 }, Date.now());
      await raw.sendCommand(["CONFIG", "RESETSTAT"]);
      expect(
        await store.patch(
          key,
          { set: { counter: "2" }, unset: [], maxBytes: 64 * 1024 },
          Date.now(),
        ),
      ).toBe("ok");
      const info = String(await raw.sendCommand(["INFO", "commandstats"]));
      const out: Record<string, number> = {};
      for (const m of info.matchAll(/cmdstat_([a-z]+):calls=(\d+)/g)) out[m[1]!] = Number(m[2]);
      delete out.resetstat;
      delete out.info;
      return out;
    };
    const small = await calls(1);
    const large = await calls(32);
    expect(small.hgetall).toBeUndefined();
    expect(large).toEqual(small);
  });
});
