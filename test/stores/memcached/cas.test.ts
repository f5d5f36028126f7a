/**
 * Field-level writes on Memcached rest on compare-and-swap. Five store
 * instances (five app servers, five connections, no shared in-process queue)
 * patch one session 50 times at once: CAS conflicts do happen, are retried,
 * and every key survives (REL-10).
 */

import { record, testKey } from "cloakroom-sessions/testing";
import { afterAll, expect, it } from "vitest";
import { setInterleaveHook } from "../../../src/core/interleave.js";
import { createStore } from "../../../src/stores/create-store.js";
import type { MemcachedStore } from "../../../src/stores/memcached/index.js";
import { describeWithService, probe, SERVICE_URLS } from "../../support/services.js";

const url = `${SERVICE_URLS.memcached}?prefix=crcas${process.pid}:`;
const open = () => createStore(url) as Promise<MemcachedStore>;
const unavailable = await probe("memcached version", async () => {
  const s = await open();
  try {
    await s.ping();
  } finally {
    await s.close();
  }
});

describeWithService("Memcached", unavailable, "memcached compare-and-swap", () => {
  const stores: MemcachedStore[] = [];
  afterAll(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it("keeps all 50 concurrent patches from 5 servers, retrying real CAS conflicts", async () => {
    for (let i = 0; i < 5; i++) stores.push(await open());
    const key = testKey();
    await stores[0]!.create(key, record({ data: {} }));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        stores[i % 5]!.patch(
          key,
          { set: { [`k${i}`]: String(i) }, unset: [], maxBytes: 65536 },
          Date.now(),
        ),
      ),
    );
    expect(results.every((r) => r === "ok")).toBe(true);
    const got = await stores[1]!.get(key, Date.now());
    expect(Object.keys(got!.data).sort()).toEqual(
      Array.from({ length: 50 }, (_, i) => `k${i}`).sort(),
    );
    expect(stores.reduce((n, s) => n + s.casConflicts, 0)).toBeGreaterThan(0);
  });

  it("a destroy racing 20 patches wins: nothing is recreated (REL-11)", async () => {
    const [a, b] = stores;
    const key = testKey();
    await a!.create(key, record({ data: {} }));
    const patches = Array.from({ length: 20 }, (_, i) =>
      b!.patch(key, { set: { [`p${i}`]: "1" }, unset: [], maxBytes: 65536 }, Date.now()),
    );
    await a!.destroy(key);
    const results = await Promise.all(patches);
    expect(results.every((r) => r === "ok" || r === "missing")).toBe(true);
    expect(results).toContain("missing");
    expect(await b!.get(key, Date.now())).toBeNull();
    expect(await a!.get(key, Date.now())).toBeNull();
  });

  // The bad interleaving, forced: the rotation's claim reads the old record,
  // a revocation deletes it, then the claim's CAS delete answers "not found".
  // That delete was not the claim's: the rotation must answer "missing" and
  // write nothing (it used to count the revocation's delete as its own).
  it("a revocation between a rotation's read and its CAS delete wins", async () => {
    const [a, b] = stores;
    const old = testKey();
    const next = testKey();
    await a!.create(old, record({ userId: `cas-${process.pid}` }));
    let revoked = false;
    setInterleaveHook(async (point) => {
      if (point !== "memcached.cas:read" || revoked) return;
      revoked = true;
      await b!.destroy(old);
    });
    let result: string;
    try {
      result = await a!.rotate(old, next, record({ userId: `cas-${process.pid}` }), Date.now());
    } finally {
      setInterleaveHook(undefined);
    }
    expect(revoked).toBe(true);
    expect(result).toBe("missing");
    expect(await a!.get(next, Date.now())).toBeNull();
    expect(await a!.get(old, Date.now())).toBeNull();
  });
});
