/**
 * Cleanup of expired rows: bounded batches through the expiry index (never a
 * table scan), progress after each batch, an optional limit, live sessions
 * untouched; the opt-in reaper and the terminal progress display.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { record, testKey } from "cloakroom-sessions/testing";
import mysql from "mysql2/promise";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCleanup } from "../../../src/stores/sql/cleanup.js";
import { DIALECTS } from "../../../src/stores/sql/migrations.js";
import { startReaper } from "../../../src/stores/sql/reaper.js";
import type { SqlStore } from "../../../src/stores/sql/sql-store.js";
import { createSqliteStore } from "../../../src/stores/sqlite/index.js";
import { describeWithService } from "../../support/services.js";
import {
  dropTable,
  MYSQL_URL,
  openStore,
  PG_URL,
  unavailableOf,
  uniqueTable,
} from "../../support/sql.js";

const dir = mkdtempSync(join(tmpdir(), "cloakroom-purge-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MIN = 60_000;

async function seed(store: SqlStore, expired: number, live: number, now: number) {
  const dead = record({ idleExpiresAt: now - MIN, absoluteExpiresAt: now + MIN });
  for (let i = 0; i < expired; i++) await store.create(testKey(), dead);
  const keys = Array.from({ length: live }, testKey);
  for (const k of keys) await store.create(k, record({ idleExpiresAt: now + 30 * MIN }));
  return keys;
}

for (const d of ["sqlite", "postgres", "mysql"] as const) {
  describeWithService(d, unavailableOf(d), `${d}: purge of expired sessions`, () => {
    const table = uniqueTable(`crt_purge_${d}`);
    let store: SqlStore;
    beforeAll(async () => {
      store = await openStore(d, table, dir);
    });
    afterAll(async () => {
      await store?.close();
      if (d !== "sqlite") await dropTable(d, table);
    });

    it("deletes in batches, reports progress after each, leaves live sessions", async () => {
      const now = Date.now();
      const live = await seed(store, 600, 5, now);
      const progress: number[] = [];
      const removed = await store.purgeExpired(now, {
        batchSize: 250,
        onProgress: (n) => progress.push(n),
      });
      expect(removed).toBe(600);
      expect(progress).toEqual([250, 500, 600]);
      for (const k of live) expect(await store.get(k, now)).not.toBeNull();
      expect(await store.purgeExpired(now, { batchSize: 250 })).toBe(0);
    });

    it("stops at the limit", async () => {
      const now = Date.now();
      await seed(store, 300, 0, now);
      const progress: number[] = [];
      expect(
        await store.purgeExpired(now, {
          batchSize: 120,
          limit: 250,
          onProgress: (n) => progress.push(n),
        }),
      ).toBe(250);
      expect(progress).toEqual([120, 240, 250]);
      expect(await store.purgeExpired(now, { batchSize: 120 })).toBe(50);
    });

    it("finds each batch through the expiry index, never a table scan", async () => {
      const names = DIALECTS[d].names(table);
      const q = DIALECTS[d].statements(names).purgeBatch(Date.now(), 1000);
      const index = names.index("idle_expires_at_idx").slice(1, -1);
      let plan: string;
      if (d === "sqlite") {
        const db = new Database(join(dir, `${table}.db`), { readonly: true });
        plan = JSON.stringify(db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params));
        db.close();
        expect(plan).toContain(`USING COVERING INDEX ${index}`);
      } else if (d === "postgres") {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        // A near-empty table would be seq-scanned by choice; forbid it to see
        // what the planner can do with the statement on a big table.
        await c.query("SET enable_seqscan = off");
        plan = JSON.stringify((await c.query(`EXPLAIN ${q.sql}`, [...q.params])).rows);
        await c.end();
        expect(plan).toContain(index);
        expect(plan).not.toMatch(/Seq Scan/);
      } else {
        const c = await mysql.createConnection({ uri: MYSQL_URL });
        // Fresh statistics: after the purges above, stale ones make a 5-row table look like anything.
        await c.query(`ANALYZE TABLE ${names.table}`);
        const [rows] = await c.query(`EXPLAIN ${q.sql}`, [...q.params]);
        await c.end();
        plan = JSON.stringify(rows);
        expect(plan).toContain(`"key":"${index}"`);
      }
    });
  });
}

describe("reaper and cleanup display", () => {
  it("the reaper purges on its interval, never overlaps, and stop() waits for the run", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const store = await createSqliteStore({ path: join(dir, "reaper.db") });
    try {
      const now = Date.now();
      await seed(store, 30, 1, now);
      const logs: Record<string, unknown>[] = [];
      const logger = {
        debug: (_: string, m?: Record<string, unknown>) => logs.push(m ?? {}),
        warn: vi.fn(),
        error: vi.fn(),
      };
      const stop = startReaper(store, { interval: 60_000, batchSize: 7, logger, now: () => now });
      vi.advanceTimersByTime(59_999);
      expect(logs).toEqual([]);
      vi.advanceTimersByTime(1);
      await vi.waitFor(() => expect(logs).toHaveLength(1));
      expect(logs[0]?.removed).toBe(30);
      vi.advanceTimersByTime(60_000);
      await stop();
      vi.advanceTimersByTime(600_000);
      expect(logs).toHaveLength(2);
      expect(logs[1]?.removed).toBe(0);
      expect(logger.warn).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
      await store.close();
    }
  });

  it("the reaper logs a failed run and keeps going", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const store = await createSqliteStore({ path: join(dir, "reaper-fail.db") });
    await store.close(); // every purge now fails
    const warn = vi.fn();
    const stop = startReaper(store, {
      interval: 1000,
      logger: { debug: vi.fn(), warn, error: vi.fn() },
    });
    vi.advanceTimersByTime(1000);
    await vi.waitFor(() => expect(warn).toHaveBeenCalledTimes(1));
    vi.advanceTimersByTime(1000);
    await vi.waitFor(() => expect(warn).toHaveBeenCalledTimes(2));
    await stop();
    vi.useRealTimers();
  });

  it("cleanup redraws one progress line on a terminal and ends with a summary", async () => {
    const store = await createSqliteStore({ path: join(dir, "cleanup.db") });
    const now = Date.now();
    await seed(store, 25, 0, now);
    const tty = {
      isTTY: true,
      text: "",
      write(s: string) {
        this.text += s;
      },
    };
    const summary = await runCleanup(store, { now, batchSize: 10, out: tty });
    expect(summary.removed).toBe(25);
    expect(tty.text.split("\r\u001b[Kpurging expired sessions: ")).toHaveLength(4);
    expect(tty.text).toMatch(
      /sqlite: removed 25 expired sessions in [\d.]+ s \([\d,]+ rows\/s\)\n$/,
    );
    await seed(store, 5, 0, now);
    const log = {
      text: "",
      write(s: string) {
        this.text += s;
      },
    };
    await runCleanup(store, { now, out: log });
    expect(log.text).not.toContain("\r");
    expect(log.text).toMatch(/^sqlite: removed 5 expired sessions/);
    await store.close();
  });
});
