/**
 * The store conformance suite on tiered stores built from URLs: an embedded
 * durable store with a near (memory) cache, and server stores with a shared
 * cache (Redis, Memcached) in front.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { BadStoreUrlError, ConfigurationError } from "../../../src/core/errors.js";
import { createStore } from "../../../src/stores/create-store.js";
import { MemoryStore } from "../../../src/stores/memory/index.js";
import { TieredStore } from "../../../src/stores/tiered/index.js";
import { storeConformance } from "../../conformance/store-suite.js";
import { describeWithService, probe, SERVICE_URLS } from "../../support/services.js";

const dir = mkdtempSync(join(tmpdir(), "cloakroom-tiered-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const enc = encodeURIComponent;
const tiered = (durable: string, cache: string, extra = "") =>
  `tiered:?durable=${enc(durable)}&cache=${enc(cache)}${extra}`;

storeConformance("tiered sqlite+memory", {
  open: () => createStore(tiered(`sqlite:${join(dir, "s.db")}`, "memory:")),
});
storeConformance("tiered file+memory", {
  open: () => createStore(tiered(`file:${join(dir, "files")}`, "memory:", "&cacheTtl=2s")),
});

const memcachedDown = await probe("memcached", async () => {
  const s = await createStore(SERVICE_URLS.memcached);
  try {
    await (s as unknown as { ping(): Promise<string> }).ping();
  } finally {
    await s.close();
  }
});
describeWithService("Memcached", memcachedDown, "tiered with a Memcached cache", () => {
  storeConformance("tiered sqlite+memcached", {
    open: () =>
      createStore(
        tiered(
          `sqlite:${join(dir, "m.db")}`,
          `${SERVICE_URLS.memcached}?prefix=crtier${process.pid}:`,
        ),
      ),
  });
});

const pgRedisDown =
  (await probe("redis", async () => {
    const s = await createStore(SERVICE_URLS.redis);
    await s.close();
  })) ??
  (await probe("postgres", async () => {
    const client = new pg.Client({ connectionString: SERVICE_URLS.postgres });
    await client.connect();
    try {
      await client.query("SELECT 1");
    } finally {
      await client.end();
    }
  }));
describeWithService("PostgreSQL and Redis", pgRedisDown, "tiered postgres+redis", () => {
  storeConformance("tiered postgres+redis", {
    open: () => createStore(tiered(SERVICE_URLS.postgres, SERVICE_URLS.redis)),
  });
});

describe("tiered store configuration", () => {
  it("refuses a URL without both inner stores, or with a tiered inner store", async () => {
    await expect(createStore("tiered:")).rejects.toBeInstanceOf(BadStoreUrlError);
    await expect(createStore(`tiered:?durable=${enc("memory:")}`)).rejects.toBeInstanceOf(
      BadStoreUrlError,
    );
    await expect(
      createStore(tiered(tiered("memory:", "memory:"), "memory:")),
    ).rejects.toBeInstanceOf(BadStoreUrlError);
    await expect(
      createStore(tiered("memory:", "memory:", "&cacheTtl=soon")),
    ).rejects.toBeInstanceOf(BadStoreUrlError);
  });

  it("caps a near cache's TTL, which is how late a revocation reaches other servers", async () => {
    const durable = new MemoryStore({ sweepInterval: 0 });
    const cache = new MemoryStore({ sweepInterval: 0 });
    expect(new TieredStore({ durable, cache }).cacheTtl).toBe(5000);
    expect(() => new TieredStore({ durable, cache, cacheTtl: 120_000 })).toThrow(
      ConfigurationError,
    );
    await expect(
      createStore(tiered(`file:${join(dir, "cap")}`, "memory:", "&cacheTtl=10m")),
    ).rejects.toBeInstanceOf(ConfigurationError);
  });
});
