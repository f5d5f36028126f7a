/**
 * The store conformance suite on a real Memcached (memjs, raw binary
 * protocol with CAS), plus what is particular to Memcached: exptime rules,
 * refusing bad keys before any call, a down server failing fast and closed.
 */

import { record, storeConformance, testKey } from "cloakroom-sessions/testing";
import { afterAll, describe, expect, it } from "vitest";
import { BadStoreUrlError, StoreUnavailableError } from "../../../src/core/errors.js";
import type { SessionStore } from "../../../src/core/store.js";
import { createStore } from "../../../src/stores/create-store.js";
import { exptimeFor } from "../../../src/stores/memcached/expiry.js";
import type { MemcachedStore } from "../../../src/stores/memcached/index.js";
import { describeWithService, probe, SERVICE_URLS } from "../../support/services.js";

const url = SERVICE_URLS.memcached;
const prefix = `cr${process.pid}:`;
const open = () => createStore(`${url}?prefix=${prefix}`) as Promise<MemcachedStore>;

const unavailable = await probe("memcached version", async () => {
  const store = await open();
  try {
    await store.ping();
  } finally {
    await store.close();
  }
});

describe("memcached exptime (protocol.txt, REL-22)", () => {
  const clock = 1_700_000_000_000;
  it("is relative seconds, rounded up with a second of slack, up to 30 days", () => {
    expect(exptimeFor(clock + 30 * 60_000, clock)).toBe(1801);
    expect(exptimeFor(clock + 1, clock)).toBe(2);
  });
  it("is an absolute Unix time past 30 days (a 31-day remember-me)", () => {
    const deadline = clock + 31 * 86_400_000;
    expect(exptimeFor(deadline, clock)).toBe(deadline / 1000 + 1);
  });
  it("is never 0 (never expires), even for a past deadline", () => {
    expect(exptimeFor(clock - 60_000, clock)).toBe(1);
    expect(exptimeFor(clock, clock)).toBe(1);
  });
});

describe("memcached store URL", () => {
  it("refuses malformed URLs with the accepted shape", async () => {
    for (const bad of ["memcached://", "memcached://a b:11211", "memcached://h:1?timeout=-1"]) {
      await expect(createStore(bad)).rejects.toBeInstanceOf(BadStoreUrlError);
    }
  });
});

describeWithService("Memcached", unavailable, `memcached store at ${url}`, () => {
  storeConformance("memcached", { open });

  describe("memcached specifics", () => {
    const stores: SessionStore[] = [];
    afterAll(async () => {
      for (const s of stores.splice(0)) await s.close?.();
    });

    it("refuses keys that could smuggle protocol commands, without a call (REL-46)", async () => {
      const store = await open();
      stores.push(store);
      const now = Date.now();
      for (const key of [`${testKey().slice(0, 30)}\r\nflush_all\r\n`, "a b", "x".repeat(300)]) {
        expect(await store.get(key, now)).toBeNull();
        await expect(store.create(key, record())).rejects.toThrow(/not a store key/);
        expect(await store.patch(key, { set: {}, unset: [], maxBytes: 1 }, now)).toBe("missing");
      }
    });

    it("a corrupt value is no session, and is removed (REL-48)", async () => {
      const store = await open();
      stores.push(store);
      const memjs = (await import("memjs")).default;
      const raw = memjs.Client.create(new URL(url).host, { retries: 1 });
      try {
        const key = testKey();
        await raw.set(`${prefix}s:${key}`, '{"v":1,"data":', { expires: 60 });
        expect(await store.get(key, Date.now())).toBeNull();
        expect((await raw.get(`${prefix}s:${key}`)).value).toBeNull();
      } finally {
        raw.close();
      }
    });

    it("a down server fails fast with StoreUnavailableError, and the process carries on", async () => {
      // Port 1 on loopback: nothing listens, the connection is refused at once.
      const store = await createStore("memcached://127.0.0.1:1?timeout=300");
      stores.push(store);
      const t0 = Date.now();
      await expect(store.get(testKey(), Date.now())).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.create(testKey(), record())).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - t0).toBeLessThan(2000);
    });
  });
});
