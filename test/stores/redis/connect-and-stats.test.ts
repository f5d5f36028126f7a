/**
 * What a newcomer meets on Redis (issue 14): a wrong port or database index
 * fails `createStore` at once with the reason in the message and as `cause`
 * (it used to wait out the timeout and say "no connection within 2000 ms"),
 * and `stats` counts sessions and users (SCAN over the store's prefix).
 */
import { createServer } from "node:net";
import { record, testKey } from "cloakroom-sessions/testing";
import { createClient } from "redis";
import { describe, expect, it } from "vitest";
import { bufferOutput } from "../../../src/cli/output.js";
import { run } from "../../../src/cli/run.js";
import { StoreUnavailableError } from "../../../src/core/errors.js";
import { createStore } from "../../../src/stores/create-store.js";
import { fatalAtStart } from "../../../src/stores/redis/connect.js";
import { describeWithService, probe, SERVICE_URLS } from "../../support/services.js";

const url = SERVICE_URLS.redis;
const unavailable = await probe("redis", async () => {
  const c = createClient({ url, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  c.on("error", () => undefined);
  await c.connect();
  c.destroy();
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe("Redis connect errors", () => {
  it("classifies what retrying cannot cure", () => {
    expect(
      fatalAtStart(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })),
    ).toBe(true);
    expect(fatalAtStart(new Error("ERR DB index is out of range"))).toBe(true);
    expect(fatalAtStart(new Error("WRONGPASS invalid username-password pair"))).toBe(true);
    expect(fatalAtStart(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))).toBe(
      false,
    );
  });

  it("nothing listening: fails at once (well within connectTimeout), ECONNREFUSED in message and cause", async () => {
    const port = await closedPort();
    const t0 = performance.now();
    const err = await createStore(`redis://127.0.0.1:${port}?connectTimeout=20000`).catch(
      (e: unknown) => e,
    );
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
    expect(String(((err as Error).cause as Error)?.message ?? (err as Error).cause)).toMatch(
      /ECONNREFUSED/,
    );
  }, 30_000);
});

describeWithService("Redis", unavailable, "Redis: a reply error at connect, and stats", () => {
  it("a database index out of range fails at once with Redis's words", async () => {
    const t0 = performance.now();
    const err = await createStore("redis://127.0.0.1:6379/99?connectTimeout=20000").catch(
      (e: unknown) => e,
    );
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toMatch(/DB index is out of range/);
    expect((err as Error).cause).toBeDefined();
  }, 30_000);

  it("stats counts live sessions and users under the store's prefix only", async () => {
    const prefix = `fh${Date.now().toString(36)}:`;
    const storeUrl = `${url}?keyPrefix=${encodeURIComponent(prefix)}`;
    const store = await createStore(storeUrl);
    const other = await createStore(`${url}?keyPrefix=${encodeURIComponent(`${prefix}x`)}`);
    try {
      await store.create(testKey(), record({ userId: "a" }));
      await store.create(testKey(), record({ userId: "a" }));
      await store.create(testKey(), record({ userId: "b" }));
      await store.create(testKey(), record());
      await other.create(testKey(), record({ userId: "z" }));
      expect(await store.stats!(Date.now())).toEqual({ live: 4, expired: null, users: 2 });
      const out = bufferOutput();
      expect(await run(["stats", storeUrl, "--json"], out)).toBe(0);
      expect(JSON.parse(out.lines[0]!)).toEqual({
        store: "redis",
        live: 4,
        expired: null,
        users: 2,
      });
      for (const s of [store, other]) for (const u of ["a", "b", "z"]) await s.destroyByUser(u);
    } finally {
      await store.close?.();
      await other.close?.();
    }
  });
});
