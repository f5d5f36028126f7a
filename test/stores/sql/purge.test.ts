/**
 * Cleanup of expired rows: bounded batches through the expiry index (never a
 * table scan), progress after each batch, an optional limit, live sessions
 * untouched. (The reaper and the progress display: test/stores/maintenance.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { record, testKey } from "cloakroom-sessions/testing";
import mysql from "mysql2/promise";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DIALECTS } from "../../../src/stores/sql/migrations.js";
import type { SqlStore } from "../../../src/stores/sql/sql-store.js";
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
