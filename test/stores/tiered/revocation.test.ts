/**
 * Revocation through a tiered store with a shared cache reaches every
 * server at once (near caches: test/stores/tiered/near-cache*.test.ts); a read
 * that races a revoke cannot leave the revoked session cached; and a cache
 * that is down never fails a request.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InstrumentedStore, record, testKey, testUser } from "cloakroom-sessions/testing";
import { afterAll, describe, expect, it, vi } from "vitest";
import type { SessionStore, StoredSession } from "../../../src/core/store.js";
import { createStore } from "../../../src/stores/create-store.js";
import { FileStore } from "../../../src/stores/file/index.js";
import { MemoryStore } from "../../../src/stores/memory/index.js";
import { TieredStore } from "../../../src/stores/tiered/index.js";
import { describeWithService, probe, SERVICE_URLS } from "../../support/services.js";

const dir = mkdtempSync(join(tmpdir(), "cloakroom-tiered-rev-"));
const toClose: SessionStore[] = [];
afterAll(async () => {
  for (const s of toClose.splice(0)) await s.close?.();
  rmSync(dir, { recursive: true, force: true });
});
const durableOn = (name: string) => {
  const s = new FileStore({ dir: join(dir, name), fsync: false, sweepInterval: 0 });
  toClose.push(s);
  return s;
};

const memcachedUrl = `${SERVICE_URLS.memcached}?prefix=crrev${process.pid}:`;
const memcachedDown = await probe("memcached", async () => {
  const s = await createStore(memcachedUrl);
  try {
    await (s as unknown as { ping(): Promise<string> }).ping();
  } finally {
    await s.close?.();
  }
});

describeWithService("Memcached", memcachedDown, "tiered: shared cache", () => {
  it("a revoke on server A is seen by server B at once, though B was serving from the cache", async () => {
    const durable = new InstrumentedStore(durableOn("shared"));
    const open = async () => {
      const cache = await createStore(memcachedUrl);
      toClose.push(cache);
      return new TieredStore({ durable, cache });
    };
    const [a, b] = [await open(), await open()];
    const [key, other] = [testKey(), testKey()];
    const userId = testUser();
    await a.create(key, record({ userId }));
    await a.create(other, record({ userId }));
    expect(await b.get(key, Date.now())).not.toBeNull(); // fills the shared cache
    expect(await b.get(other, Date.now())).not.toBeNull();
    durable.resetCounts();
    expect(await a.get(key, Date.now())).not.toBeNull();
    expect(durable.calls.get).toBe(0); // A's read was a cache hit: the cache really serves

    await a.destroy(key);
    expect(await b.get(key, Date.now())).toBeNull();
    expect(await a.destroyByUser(userId)).toBe(1);
    expect(await b.get(other, Date.now())).toBeNull();
  });
});

describe("tiered: a read racing a revoke", () => {
  it("cannot leave the revoked session in the cache: the second delete removes it", async () => {
    const inner = durableOn("race");
    let hold: Promise<void> | undefined;
    let readTheTruth = false;
    // The durable store, with a read that can be held after it has read: the
    // race window between "read the truth" and "fill the cache".
    const durable = Object.create(inner) as SessionStore;
    durable.get = async (key: string, now: number) => {
      const r = await inner.get(key, now);
      readTheTruth = true;
      await hold;
      return r;
    };
    // One memory store shared by two tiered stores in this process: a shared cache, as Redis would be.
    const cache = new MemoryStore({ sweepInterval: 0 });
    Object.defineProperty(cache, "capabilities", { value: { shared: true } });
    const reader = new TieredStore({ durable, cache, redeleteAfter: 30 });
    const revoker = new TieredStore({ durable: inner, cache, redeleteAfter: 30 });
    toClose.push(reader, revoker);
    const key = testKey();
    await revoker.create(key, record());

    let release!: () => void;
    hold = new Promise((resolve) => {
      release = resolve;
    });
    const read = reader.get(key, Date.now()); // reads the live record, then waits
    await vi.waitFor(() => expect(readTheTruth).toBe(true));
    await revoker.destroy(key); // durable and cache cleared...
    release();
    expect(await read).not.toBeNull(); // ...and the racing read fills the old record back
    const cached: StoredSession | null = await cache.get(key, Date.now());
    expect(cached).not.toBeNull();
    await vi.waitFor(async () => expect(await cache.get(key, Date.now())).toBeNull(), {
      timeout: 2000,
      interval: 10,
    });
    expect(await revoker.get(key, Date.now())).toBeNull();
  });
});

describe("tiered: cache down", () => {
  it("serves reads and writes from the durable store, reports, and bypasses the cache for one cacheTtl", async () => {
    const durable = durableOn("down");
    const cache = await createStore("memcached://127.0.0.1:1?timeout=300"); // nothing listens
    let clock = Date.now();
    const errors: string[] = [];
    const store = new TieredStore({
      durable,
      cache,
      cacheTtl: 10_000,
      clock: () => clock,
      onCacheError: (_err, op) => errors.push(op),
    });
    toClose.push(store, cache);
    const key = testKey();
    await store.create(key, record());
    const got = await store.get(key, Date.now());
    expect(got?.data).toEqual(record().data);
    expect(errors).toEqual(["get"]); // reported once; the fill was skipped while bypassing
    const patch = { set: { a: "1" }, unset: [], maxBytes: 65536 };
    expect(await store.patch(key, patch, Date.now())).toBe("ok");
    expect((await store.get(key, Date.now()))?.data.a).toBe("1");
    expect(errors.filter((op) => op === "get")).toHaveLength(1); // bypassed: no new attempt
    clock += 10_001; // one cacheTtl later the cache is tried again
    expect(await store.get(key, Date.now())).not.toBeNull();
    expect(errors.filter((op) => op === "get")).toHaveLength(2);
  });
});
