/**
 * Migrations are versioned, recorded, idempotent and safe to run from two
 * places at once, on each dialect; `migrationSql()` prints the same schema
 * for users with their own migration tool.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { record, testKey } from "cloakroom-sessions/testing";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../src/core/errors.js";
import { createMysqlStore } from "../../../src/stores/mysql/index.js";
import { createPostgresStore } from "../../../src/stores/postgres/index.js";
import { MIGRATIONS, migrationSql } from "../../../src/stores/sql/migrations.js";
import type { SqlStore } from "../../../src/stores/sql/sql-store.js";
import { createSqliteStore } from "../../../src/stores/sqlite/index.js";
import { describeWithService } from "../../support/services.js";
import {
  type Dialect,
  dropTable,
  MYSQL_URL,
  mysqlAdmin,
  openStore,
  PG_URL,
  pgAdmin,
  unavailableOf,
  uniqueTable,
} from "../../support/sql.js";

const dir = mkdtempSync(join(tmpdir(), "cloakroom-migrate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const latest = Math.max(...MIGRATIONS.map((m) => m.version));

async function recorded(d: Dialect, table: string): Promise<number[]> {
  const sql = `SELECT version FROM cloakroom_migrations WHERE table_name = ${d === "postgres" ? "$1" : "?"} ORDER BY version`;
  if (d === "postgres")
    return (await pgAdmin<{ version: number }>(sql, [table])).map((r) => r.version);
  if (d === "mysql")
    return (await mysqlAdmin<{ version: number }>(sql, [table])).map((r) => r.version);
  const db = new Database(join(dir, `${table}.db`), { readonly: true });
  try {
    return (db.prepare(sql).all(table) as { version: number }[]).map((r) => r.version);
  } finally {
    db.close();
  }
}

/** Runs the printed schema by hand, statement by statement, as a user's tool would. */
async function runByHand(d: Dialect, table: string): Promise<void> {
  const stmts = migrationSql(d, { table })
    .split(";\n")
    .map((s) => s.replace(/^--.*$/gm, "").trim())
    .filter(Boolean);
  if (d === "postgres") for (const s of stmts) await pgAdmin(s);
  else if (d === "mysql") for (const s of stmts) await mysqlAdmin(s);
  else {
    const db = new Database(join(dir, `${table}.db`));
    for (const s of stmts) db.exec(s);
    db.close();
  }
}

for (const d of ["sqlite", "postgres", "mysql"] as const) {
  describeWithService(d, unavailableOf(d), `${d} migrations`, () => {
    const tables: string[] = [];
    const table = () => {
      const t = uniqueTable(`crt_mig_${d}`);
      tables.push(t);
      return t;
    };
    afterAll(async () => {
      if (d !== "sqlite") for (const t of tables) await dropTable(d, t);
    });

    it("applies each version once, records it, and reports 'already-applied' after", async () => {
      const t = table();
      const store = await openStore(d, t, dir); // migrates at open
      try {
        expect(await recorded(d, t)).toEqual(MIGRATIONS.map((m) => m.version));
        const again = await store.migrate();
        expect(again).toHaveLength(MIGRATIONS.length);
        expect(again.every((r) => r.status === "already-applied")).toBe(true);
        expect(again.at(-1)?.version).toBe(latest);
        expect(await recorded(d, t)).toEqual(MIGRATIONS.map((m) => m.version));
      } finally {
        await store.close();
      }
    });

    it("two concurrent migrate() calls: one applies, the other finds it done", async () => {
      const t = table();
      // Opened without migrating; each store has its own connection(s).
      const open = async (): Promise<SqlStore> => {
        if (d === "sqlite") {
          return createSqliteStore({ path: join(dir, `${t}.db`), table: t, migrate: false });
        }
        return d === "postgres"
          ? createPostgresStore({ url: PG_URL, table: t })
          : createMysqlStore({ url: MYSQL_URL, table: t });
      };
      const [a, b] = [await open(), await open()];
      try {
        const [ra, rb] = await Promise.all([a.migrate(), b.migrate()]);
        const statuses = [...ra, ...rb].filter((r) => r.version === 1).map((r) => r.status);
        expect(statuses.sort()).toEqual(["already-applied", "applied"]);
        const key = testKey();
        await a.create(key, record());
        expect(await b.get(key, Date.now())).not.toBeNull();
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("adopts a schema created by hand from migrationSql()", async () => {
      const t = table();
      await runByHand(d, t);
      const store = await openStore(d, t, dir);
      try {
        const key = testKey();
        await store.create(key, record());
        expect(await store.get(key, Date.now())).not.toBeNull();
        expect(await recorded(d, t)).toEqual(MIGRATIONS.map((m) => m.version));
      } finally {
        await store.close();
      }
    });
  });
}

describe("migrationSql", () => {
  it("prints every migration for each dialect, with the table quoted", () => {
    expect(migrationSql("postgres", { table: "app.sessions" })).toContain(
      'CREATE TABLE IF NOT EXISTS "app"."sessions"',
    );
    expect(migrationSql("postgres")).toMatch(/data jsonb NOT NULL/);
    expect(migrationSql("mysql")).toContain("CREATE TABLE IF NOT EXISTS `cloakroom_sessions`");
    expect(migrationSql("sqlite")).toContain('"cloakroom_sessions_idle_expires_at_idx"');
    for (const m of MIGRATIONS) expect(migrationSql("sqlite")).toContain(`migration ${m.version}:`);
  });

  it("refuses an unknown dialect and a table name that is not an identifier", () => {
    expect(() => migrationSql("oracle" as "mysql")).toThrow(ConfigurationError);
    expect(() => migrationSql("mysql", { table: "s; DROP TABLE users" })).toThrow(
      ConfigurationError,
    );
  });
});
