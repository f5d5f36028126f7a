/**
 * Stores report what happens outside a call (the memory store's production
 * warning, a failed file sweep, a cache failure, a lost Redis connection)
 * through the logger the user gave `createSessions`, not the console.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { record, testKey } from "cloakroom-sessions/testing";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createSessions } from "../../../src/core/manager.js";
import type { SessionStore } from "../../../src/core/store.js";
import { createStore } from "../../../src/stores/create-store.js";
import { FileStore } from "../../../src/stores/file/index.js";
import { MemoryStore } from "../../../src/stores/memory/index.js";
import { TieredStore } from "../../../src/stores/tiered/index.js";
import { redisServerMissing, startRedis } from "../../support/redis-server.js";
import { describeWithService } from "../../support/services.js";

const SECRET = "store-log-secret-0123456789abcdef-0123456789";
const dir = mkdtempSync(join(tmpdir(), "cloakroom-store-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let consoleWarn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  consoleWarn = vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(() => {
  consoleWarn.mockRestore();
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

function spyLogger() {
  return { debug: vi.fn(), warn: vi.fn(), error: vi.fn() };
}

function warned(logger: ReturnType<typeof spyLogger>): string[] {
  return logger.warn.mock.calls.map((c) => String(c[0]));
}

describe("stores log through the manager's logger", () => {
  it("memory store under NODE_ENV=production: the per-process warning, once", async () => {
    vi.stubEnv("NODE_ENV", "production");
    const store = new MemoryStore({ sweepInterval: 0 });
    const logger = spyLogger();
    createSessions({ store, secrets: [SECRET], logger });
    await store.create(testKey(), record());
    await store.create(testKey(), record());
    expect(warned(logger).filter((m) => m.includes("memory store"))).toHaveLength(1);
    expect(consoleWarn).not.toHaveBeenCalled();
  });

  it("file store: a failed background sweep", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const notADir = join(dir, "a-file");
    writeFileSync(notADir, "");
    const store = new FileStore({ dir: notADir, sweepInterval: 1000 });
    const logger = spyLogger();
    createSessions({ store, secrets: [SECRET], logger });
    try {
      vi.advanceTimersByTime(1000);
      await vi.waitFor(() =>
        expect(warned(logger)).toContain("cloakroom: file store sweep failed"),
      );
      expect(consoleWarn).not.toHaveBeenCalled();
    } finally {
      await store.close();
    }
  });

  it("tiered store: a cache failure, and the logger reaches the stores behind it", async () => {
    vi.stubEnv("NODE_ENV", "production");
    const durable = new MemoryStore({ sweepInterval: 0 });
    const cache = await createStore("memcached://127.0.0.1:1?timeout=300"); // nothing listens
    const store = new TieredStore({ durable, cache, ownsStores: true });
    const logger = spyLogger();
    createSessions({ store, secrets: [SECRET], logger });
    try {
      const key = testKey();
      await store.create(key, record());
      expect(await store.get(key, Date.now())).not.toBeNull();
      const messages = warned(logger);
      expect(messages.some((m) => m.startsWith("cloakroom: tiered store cache"))).toBe(true);
      expect(messages.some((m) => m.includes("memory store"))).toBe(true);
      expect(consoleWarn).not.toHaveBeenCalled();
    } finally {
      await store.close();
    }
  });
});

describeWithService("redis-server", redisServerMissing(), "redis store: connection errors", () => {
  it("go to the manager's logger", async () => {
    const redis = await startRedis();
    let store: SessionStore | undefined;
    try {
      store = await createStore(redis.url);
      const logger = spyLogger();
      createSessions({ store, secrets: [SECRET], logger });
      await redis.stop();
      await vi.waitFor(
        () => expect(warned(logger).some((m) => m.includes("redis connection error"))).toBe(true),
        { timeout: 10_000 },
      );
      expect(consoleWarn).not.toHaveBeenCalled();
    } finally {
      await store?.close?.();
      await redis.stop();
    }
  });
});

describe("no store writes to the console itself", () => {
  it("src/stores: console only in the StoreLog fallback", () => {
    const root = join(import.meta.dirname, "../../../src/stores");
    const files = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) =>
      f.endsWith(".ts"),
    );
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.filter(
      (f) =>
        f !== join("shared", "store-log.ts") &&
        /^(?!\s*\*).*\bconsole\./m.test(readFileSync(join(root, f), "utf8")),
    );
    expect(offenders).toEqual([]);
  });
});
