/**
 * `doctor` against healthy and broken stores: a migrated SQLite file, a
 * private Redis configured well, the same Redis stopped, one with
 * `maxmemory-policy allkeys-lru`, SQLite and PostgreSQL tables with a
 * pending migration, expired rows nobody purged, and bad app settings.
 * Exit codes 0 healthy, 1 warnings, 2 failures; `--json` for scripts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { record, testKey } from "cloakroom-sessions/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bufferOutput } from "../../src/cli/output.js";
import { run } from "../../src/cli/run.js";
import { createStore } from "../../src/stores/create-store.js";
import { MIGRATIONS } from "../../src/stores/sql/migrations.js";
import { type PrivateRedis, redisServerMissing, startRedis } from "../support/redis-server.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";
import { dropTable, pgAdmin, uniqueTable } from "../support/sql.js";

const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));
const ALL = MIGRATIONS.map((m) => m.version).sort((a, b) => a - b);

interface Report {
  store: string | null;
  status: string;
  checks: { check: string; status: string; message: string; data?: Record<string, unknown> }[];
}

async function doctor(...argv: string[]) {
  const out = bufferOutput();
  const code = await run(["doctor", ...argv, "--json"], out);
  const report = JSON.parse(out.lines.join("\n")) as Report;
  const find = (name: string) => report.checks.filter((c) => c.check === name);
  return { code, report, find };
}

const dir = mkdtempSync(join(tmpdir(), "cloakroom-doctor-"));
const goodOptions = join(dir, "good.json");
writeFileSync(
  goodOptions,
  JSON.stringify({
    secrets: [
      "a-secret-of-at-least-thirty-two-bytes-0001",
      "a-secret-of-at-least-thirty-two-bytes-0002",
    ],
    idleTimeout: "30m",
    absoluteTimeout: "12h",
    cookie: { secure: "auto" },
  }),
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("doctor on SQLite", () => {
  const file = join(dir, "sessions.db");
  const url = `sqlite:${file}`;
  beforeAll(async () => {
    expect(await run(["migrate", url], bufferOutput())).toBe(0);
  });

  it("a migrated file and sound settings: healthy, exit 0, every check reported", async () => {
    const r = await doctor(url, "--options", goodOptions, "--pings", "30");
    expect(r.report.status).toBe("healthy");
    expect(r.code).toBe(0);
    expect(r.report.store).toBe("sqlite");
    const latency = r.find("latency")[0]!;
    expect(latency.data).toMatchObject({ pings: 30 });
    expect(latency.data!.p99Ms as number).toBeGreaterThanOrEqual(latency.data!.p50Ms as number);
    expect(r.find("schema")[0]).toMatchObject({
      status: "ok",
      data: { version: LATEST, pending: [] },
    });
    expect(r.find("clock")[0]!.status).toBe("ok");
    expect(r.find("expiry")[0]!.status).toBe("ok");
    expect(r.find("secrets")[0]!.status).toBe("ok");
  });

  it("a pending migration: a warning naming it and `migrate`, exit 1", async () => {
    const pending = join(dir, "pending.db");
    expect(await run(["migrate", `sqlite:${pending}`], bufferOutput())).toBe(0);
    // As if this table had been created by hand, or by an older release, without the record.
    const db = new Database(pending);
    db.prepare("DELETE FROM cloakroom_migrations").run();
    db.close();
    const r = await doctor(`sqlite:${pending}`, "--options", goodOptions);
    expect(r.code).toBe(1);
    expect(r.find("schema")[0]).toMatchObject({ status: "warn", data: { pending: ALL } });
    expect(r.find("schema")[0]!.message).toMatch(new RegExp(`${ALL.length} pending: 1 .*migrate`));
  });

  it("expired rows nobody purged: a warning that says how to purge them", async () => {
    const full = join(dir, "expired.db");
    const store = await createStore(`sqlite:${full}`);
    await store.migrate?.();
    const past = Date.now() - 60_000;
    for (let i = 0; i < 1001; i++) {
      await store.create(testKey(), {
        ...record({ userId: null }),
        createdAt: past - 1000,
        lastSeenAt: past - 1000,
        idleExpiresAt: past,
        absoluteExpiresAt: past,
      });
    }
    await store.close?.();
    const r = await doctor(`sqlite:${full}`, "--options", goodOptions);
    expect(r.code).toBe(1);
    expect(r.find("expiry")[0]).toMatchObject({ status: "warn", data: { expired: 1001 } });
    expect(r.find("expiry")[0]!.message).toMatch(/startReaper|cleanup/);
  });

  it("app settings: short and repeated secrets, secure false, timeouts above ASVS L2", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(
      bad,
      JSON.stringify({
        secrets: ["short", "short"],
        idleTimeout: "2h",
        absoluteTimeout: "7d",
        cookie: { secure: false },
      }),
    );
    const r = await doctor(url, "--options", bad);
    expect(r.code).toBe(1);
    const messages = r.report.checks.filter((c) => c.status === "warn").map((c) => c.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/shorter than 32 bytes/),
        expect.stringMatching(/appears twice/),
        expect.stringMatching(/secure: false/),
        expect.stringMatching(/idle timeout 2 h .*30 min/),
        expect.stringMatching(/absolute timeout 168 h .*12 h/),
      ]),
    );
  });

  it("the memory store in production is a warning; no store URL is a failure", async () => {
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    try {
      const r = await doctor("memory:", "--options", goodOptions);
      expect(r.code).toBe(1);
      expect(r.find("config")[0]!.message).toMatch(/memory store in production/);
    } finally {
      process.env.NODE_ENV = before;
    }
    const saved = process.env.SESSION_STORE;
    delete process.env.SESSION_STORE;
    try {
      const r = await doctor("--options", goodOptions);
      expect(r.code).toBe(2);
      expect(r.find("store")[0]!.status).toBe("fail");
    } finally {
      if (saved !== undefined) process.env.SESSION_STORE = saved;
    }
  });

  it("prints a readable table without --json, with --help showing an example", async () => {
    const out = bufferOutput();
    expect(await run(["doctor", url, "--options", goodOptions], out)).toBe(0);
    expect(out.lines.join("\n")).toMatch(/^ok\s+latency\s+20 round trips: p50 [\d.]+ ms/m);
    expect(out.lines.join("\n")).toMatch(/sqlite: healthy/);
    const help = bufferOutput();
    expect(await run(["doctor", "--help"], help)).toBe(0);
    expect(help.lines.join("\n")).toMatch(/doctor redis:\/\/127\.0\.0\.1:6379/);
  });
});

describeWithService("redis-server", redisServerMissing(), "doctor on private Redis servers", () => {
  let good: PrivateRedis;
  let lru: PrivateRedis;
  beforeAll(async () => {
    [good, lru] = await Promise.all([
      startRedis(["appendonly yes", "maxmemory-policy noeviction"]),
      startRedis(["maxmemory 64mb", "maxmemory-policy allkeys-lru"]),
    ]);
  });
  afterAll(async () => {
    await Promise.all([good?.stop(), lru?.stop()]);
  });

  it("noeviction and AOF: healthy, with the clock compared by TIME", async () => {
    const r = await doctor(good.url, "--options", goodOptions);
    expect(r.report.checks.filter((c) => c.status !== "ok")).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.find("eviction")[0]).toMatchObject({ data: { policy: "noeviction" } });
    expect(r.find("persistence")[0]).toMatchObject({ data: { appendonly: "yes" } });
    expect(Math.abs(r.find("clock")[0]!.data!.skewMs as number)).toBeLessThan(1000);
    expect(r.find("expiry")[0]!.message).toMatch(/native TTL/);
  });

  it("maxmemory-policy allkeys-lru: a warning that sessions can be evicted, exit 1", async () => {
    const r = await doctor(lru.url, "--options", goodOptions);
    expect(r.code).toBe(1);
    expect(r.find("eviction")[0]).toMatchObject({
      status: "warn",
      data: { policy: "allkeys-lru" },
    });
    expect(r.find("eviction")[0]!.message).toMatch(/can evict live sessions/);
    // This one also has no persistence (the helper's default).
    expect(r.find("persistence")[0]!.status).toBe("warn");
  });

  it("a stopped Redis: a connection failure, exit 2", async () => {
    const stopped = await startRedis();
    await stopped.stop();
    const r = await doctor(stopped.url, "--options", goodOptions, "--pings", "3");
    expect(r.code).toBe(2);
    expect(r.report.status).toBe("failing");
    expect(r.find("connect")[0]!.status).toBe("fail");
    expect(r.find("connect")[0]!.message).toMatch(/connection|ECONNREFUSED/i);
  }, 30_000);
});

const pgUnavailable = await probe("postgres", async () => {
  await pgAdmin("SELECT 1");
});

describeWithService("postgres", pgUnavailable, "doctor on PostgreSQL", () => {
  const table = uniqueTable("ops_doctor");
  const url = `${SERVICE_URLS.postgres}?table=${table}`;
  afterAll(() => dropTable("postgres", table));

  it("healthy once migrated (clock by now()); a pending migration once its record is gone", async () => {
    expect(await run(["migrate", url], bufferOutput())).toBe(0);
    const ok = await doctor(url, "--options", goodOptions);
    expect(ok.code).toBe(0);
    expect(ok.find("clock")[0]!.status).toBe("ok");
    expect(ok.find("schema")[0]).toMatchObject({ data: { version: LATEST, pending: [] } });
    // The newest migration's record gone: that one is pending, the rest applied.
    await pgAdmin("DELETE FROM cloakroom_migrations WHERE table_name = $1 AND version = $2", [
      table,
      LATEST,
    ]);
    const pending = await doctor(url, "--options", goodOptions);
    expect(pending.code).toBe(1);
    expect(pending.find("schema")[0]).toMatchObject({
      status: "warn",
      data: { version: Math.max(0, ...ALL.filter((v) => v !== LATEST)), pending: [LATEST] },
    });
  });
});
