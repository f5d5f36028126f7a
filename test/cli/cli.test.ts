import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { record, testKey } from "cloakroom-sessions/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bufferOutput } from "../../src/cli/output.js";
import { run } from "../../src/cli/run.js";
import { handleOf } from "../../src/core/token.js";
import { createStore } from "../../src/stores/create-store.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";

const dir = mkdtempSync(join(tmpdir(), "cloakroom-cli-"));
const url = `sqlite:${join(dir, "sessions.db")}`;
const MIN = 60_000;

async function cli(...argv: string[]) {
  const out = bufferOutput();
  const code = await run(argv, out);
  return { code, ...out };
}

describe("cloakroom CLI", () => {
  beforeAll(async () => {
    const r = await cli("migrate", url);
    expect(r.code).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("migrates idempotently, reporting each migration", async () => {
    const r = await cli("migrate", url);
    expect(r.code).toBe(0);
    expect(r.lines.join("\n")).toMatch(/already-applied/);
  });

  it("prints the schema for each dialect", async () => {
    for (const d of ["sqlite", "postgres", "mysql"]) {
      const r = await cli("schema", d);
      expect(r.code).toBe(0);
      expect(r.lines.join("\n")).toMatch(/CREATE TABLE/i);
    }
    expect((await cli("schema", "oracle")).code).toBe(1);
  });

  it("cleans up expired sessions and leaves live ones, with a summary", async () => {
    const store = await createStore(url);
    const now = Date.now();
    const live = testKey();
    for (let i = 0; i < 25; i++)
      await store.create(
        testKey(),
        record({ idleExpiresAt: now - MIN, absoluteExpiresAt: now + MIN }),
      );
    await store.create(live, record());
    const r = await cli("cleanup", url, "--batch-size", "10");
    expect(r.code).toBe(0);
    expect(r.streamed.join("")).toMatch(/removed 25 expired sessions/);
    expect(await store.get(live, Date.now())).not.toBeNull();
    await store.close?.();
  });

  it("lists and revokes a user's sessions", async () => {
    const store = await createStore(url);
    const [a, b] = [testKey(), testKey()];
    await store.create(a, record({ userId: "u42", ip: "198.51.100.4" }));
    await store.create(b, record({ userId: "u42" }));
    const listed = await cli("sessions", url, "--user", "u42", "--json");
    const sessions = JSON.parse(listed.lines[0]!) as { id: string; ip: string | null }[];
    expect(sessions).toHaveLength(2);
    expect(sessions.map((s) => s.id).sort()).toEqual([await handleOf(a), await handleOf(b)].sort());

    const one = await cli("revoke", url, "--user", "u42", "--session", await handleOf(a));
    expect(one.code).toBe(0);
    expect(await store.get(a, Date.now())).toBeNull();
    expect(await store.get(b, Date.now())).not.toBeNull();
    const all = await cli("revoke", url, "--user", "u42", "--yes");
    expect(all.lines[0]).toBe("revoked 1 session of user u42");
    expect(await store.get(b, Date.now())).toBeNull();
    await store.close?.();
  });

  it("explains bad input instead of crashing", async () => {
    expect((await cli("nope")).errors[0]).toMatch(/unknown command/);
    expect((await cli("cleanup")).errors[0]).toMatch(/store URL/);
    const bad = await cli("migrate", "oracle://x");
    expect(bad.code).toBe(2);
    expect(bad.errors[0]).toMatch(/BAD_STORE_URL.*sqlite:/);
    expect((await cli("sessions", url)).errors[0]).toMatch(/--user/);
  });
});

describe("cloakroom stats", () => {
  it("counts live and expired sessions and signed-in users", async () => {
    const statsUrl = `sqlite:${join(dir, "stats.db")}`;
    expect((await cli("migrate", statsUrl)).code).toBe(0);
    const store = await createStore(statsUrl);
    const now = Date.now();
    await store.create(testKey(), record({ userId: "a" }));
    await store.create(testKey(), record({ userId: "a" }));
    await store.create(testKey(), record({ userId: "b" }));
    await store.create(testKey(), record());
    await store.create(testKey(), record({ userId: "c", idleExpiresAt: now - MIN }));
    await store.close?.();
    const r = await cli("stats", statsUrl, "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.lines[0]!)).toEqual({ store: "sqlite", live: 4, expired: 1, users: 2 });
  });
});

describe("cloakroom CLI: stores without a schema", () => {
  it("migrate on a store with no migrate() says there is nothing to do", async () => {
    const r = await cli("migrate", "memory:");
    expect(r.code).toBe(0);
    expect(r.lines.join("\n")).toMatch(/memory: no schema to migrate/);
  });
});

const redisDown = await probe("redis", async () => {
  const store = await createStore(SERVICE_URLS.redis);
  await store.close?.();
});

describeWithService("redis", redisDown, "cloakroom CLI: native TTL", () => {
  it("cleanup on a store without purgeExpired says records expire by themselves", async () => {
    const r = await cli("cleanup", SERVICE_URLS.redis);
    expect(r.code).toBe(0);
    expect(r.lines.join("\n")).toMatch(/redis: records expire by themselves/);
  });
});
