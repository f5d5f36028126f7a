/**
 * Applies {@link MIGRATIONS} on one connection, under the dialect's lock, and
 * records each in the migrations table. Safe to call from several processes at
 * once: the second waits for the first, then finds everything applied.
 * On SQLite and PostgreSQL the whole run is one transaction (all or nothing);
 * on MySQL, where DDL commits implicitly, each migration is recorded right
 * after its DDL and the IF NOT EXISTS guards make a re-run harmless.
 */
import type { MigrationResult } from "../../core/store.js";
import { MIGRATIONS, type Migration } from "./migrations.js";
import type { SqlConnection, SqlDialect, SqlExecutor, SqlNames } from "./types.js";

export type { MigrationResult };

export async function runMigrations(
  executor: SqlExecutor,
  dialect: SqlDialect,
  names: SqlNames,
  now: () => number = Date.now,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationResult[]> {
  const lock = dialect.migrationLock(names);
  return executor.exclusive(async (conn) => {
    for (const q of lock.acquire) {
      const rows = await conn.query(q);
      const locked = rows[0]?.locked;
      if (locked !== undefined && Number(locked) !== 1) {
        throw new Error(`timed out waiting for the migration lock on ${names.table}`);
      }
    }
    try {
      const results = await apply(conn, dialect, names, now, migrations);
      for (const q of lock.commit) await conn.query(q);
      return results;
    } catch (err) {
      try {
        for (const q of lock.rollback) await conn.query(q);
      } catch (rollbackErr) {
        // Both matter: the cause of the failure, and that the connection is now
        // in an unknown state (the executor discards it when `fn` rejects).
        throw new AggregateError([err, rollbackErr], "migration failed, then its rollback failed");
      }
      throw err;
    }
  });
}

async function apply(
  conn: SqlConnection,
  dialect: SqlDialect,
  names: SqlNames,
  now: () => number,
  migrations: readonly Migration[],
): Promise<MigrationResult[]> {
  await conn.run({ sql: dialect.migrationsTable(names), params: [] });
  const ph = dialect.name === "postgres" ? ["$1", "$2", "$3", "$4"] : ["?", "?", "?", "?"];
  const rows = await conn.query({
    sql: `SELECT version FROM ${names.migrations} WHERE table_name = ${ph[0]}`,
    params: [names.raw],
  });
  const done = new Set(rows.map((r) => Number(r.version)));
  const results: MigrationResult[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) {
      results.push({ version: m.version, name: m.name, status: "already-applied" });
      continue;
    }
    for (const stmt of m.up[dialect.name](names)) await conn.run({ sql: stmt, params: [] });
    await conn.run({
      sql: `INSERT INTO ${names.migrations} (table_name, version, name, applied_at) VALUES (${ph.join(", ")})`,
      params: [names.raw, m.version, m.name, now()],
    });
    results.push({ version: m.version, name: m.name, status: "applied" });
  }
  return results;
}
