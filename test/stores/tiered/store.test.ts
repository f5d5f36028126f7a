/**
 * The store conformance suite on tiered stores built from URLs: an embedded
 * durable store with a near (memory) cache, and server stores with a shared
 * cache (Redis, Memcached) in front.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { storeConformance } from "cloakroom-sessions/testing";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { BadStoreUrlError, ConfigurationError } from "../../../src/core/errors.js";
import { createStore } from "../../../src/stores/create-store.js";
import { MemoryStore } from "../../../src/stores/memory/index.js";
import { TieredStore } from "../../../src/stores/tiered/index.js";
import { describeWithService, probe, SERVICE_URLS } from "../../support/services.js";

const dir = mkdtempSync(join(tmpdir(), "cloakroom-tiered-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const enc = encodeURIComponent;
const tiered = (durable: string, cache: string, extra = "") =>
  `tiered:?durable=${enc(durable)}&cache=${enc(cache)}${extra}`;

storeConformance("tiered sqlite+memory (one process)", {
  open: () => createStore(tiered(`sqlite:${join(dir, "s.db")}`, "memory:", "&singleProcess=true")),
});
storeConformance("tiered file+memory (one process)", {
  open: () =>
    createStore(tiered(`file:${join(dir, "files")}`, "memory:", "&cacheTtl=2s&singleProcess=true")),
});

const memcachedDown = await probe("memcached", async () => {
  const s = await createStore(SERVICE_URLS.memcached);
  try {
    await (s as unknown as { ping(): Promise<string> }).ping();
  } finally {
    await s.close?.();
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
    await s.close?.();
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
  // Near caches with a channel: PostgreSQL's own LISTEN/NOTIFY, and Redis pub/sub.
  storeConformance("tiered postgres+memory (LISTEN/NOTIFY)", {
    open: () => createStore(tiered(SERVICE_URLS.postgres, "memory:")),
  });
  storeConformance("tiered sqlite+memory (Redis channel)", {
    open: () =>
      createStore(
        tiered(`sqlite:${join(dir, "c.db")}`, "memory:", `&channel=${enc(SERVICE_URLS.redis)}`),
      ),
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

  it("refuses a near cache over a shared durable store without an invalidation channel", async () => {
    const shared = new MemoryStore({ sweepInterval: 0 });
    Object.defineProperty(shared, "capabilities", { value: { shared: true } });
    const cache = new MemoryStore({ sweepInterval: 0 });
    expect(() => new TieredStore({ durable: shared, cache })).toThrow(/invalidation channel/);
    expect(() => new TieredStore({ durable: shared, cache, singleProcess: true })).not.toThrow();
    // An in-process durable store cannot be changed by another process: no channel needed.
    const local = new MemoryStore({ sweepInterval: 0 });
    expect(() => new TieredStore({ durable: local, cache })).not.toThrow();
    await expect(createStore(tiered(`file:${join(dir, "cap")}`, "memory:"))).rejects.toBeInstanceOf(
      ConfigurationError,
    );
    await expect(
      createStore(
        tiered(`file:${join(dir, "cap")}`, "memory:", `&channel=${enc("memcached://x:1")}`),
      ),
    ).rejects.toBeInstanceOf(BadStoreUrlError);
  });
});
