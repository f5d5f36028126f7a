/**
 * Shared by the SQL store tests: probes of the running PostgreSQL and
 * MariaDB/MySQL (a real SELECT 1), a unique table per test run so parallel
 * runs never collide, and its removal afterwards.
 */
import mysql from "mysql2/promise";
import pg from "pg";
import { createMysqlStore } from "../../src/stores/mysql/index.js";
import { createPostgresStore } from "../../src/stores/postgres/index.js";
import type { SqlStore } from "../../src/stores/sql/sql-store.js";
import { createSqliteStore } from "../../src/stores/sqlite/index.js";
import { probe, SERVICE_URLS } from "./services.js";

export const PG_URL = SERVICE_URLS.postgres;
export const MYSQL_URL = SERVICE_URLS.mysql;

export const pgUnavailable = await probe("postgres", async () => {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  await c.connect();
  try {
    await c.query("SELECT 1");
  } finally {
    await c.end();
  }
});

export const mysqlUnavailable = await probe("mysql", async () => {
  const c = await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 2000 });
  try {
    await c.query("SELECT 1");
  } finally {
    await c.end();
  }
});

let n = 0;
/** A table name no other run uses: prefix, pid, time, counter. */
export function uniqueTable(prefix = "crt"): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${++n}`;
}

/** Runs one statement on a fresh connection of its own (setup, cleanup, killing backends). */
export async function pgAdmin<T = Record<string, unknown>>(sql: string, params: unknown[] = []) {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

export async function mysqlAdmin<T = Record<string, unknown>>(sql: string, params: unknown[] = []) {
  const c = await mysql.createConnection({ uri: MYSQL_URL });
  try {
    const [rows] = await c.query(sql, params);
    return (Array.isArray(rows) ? rows : []) as T[];
  } finally {
    await c.end();
  }
}

/** Drops a test table and its migration records. */
export async function dropTable(dialect: "postgres" | "mysql", table: string): Promise<void> {
  const admin = dialect === "postgres" ? pgAdmin : mysqlAdmin;
  const q = dialect === "postgres" ? '"' : "`";
  await admin(`DROP TABLE IF EXISTS ${q}${table}${q}`);
  await admin(
    `DELETE FROM cloakroom_migrations WHERE table_name = ${dialect === "postgres" ? "$1" : "?"}`,
    [table],
  ).catch((err: { code?: string }) => {
    // The migrations table may not exist yet if no test reached migrate().
    if (err.code !== "42P01" && err.code !== "ER_NO_SUCH_TABLE") throw err;
  });
}

export type Dialect = "sqlite" | "postgres" | "mysql";

/** Opens a migrated store of `dialect` on `table` (SQLite: a file in `dir`). */
export async function openStore(dialect: Dialect, table: string, dir: string): Promise<SqlStore> {
  switch (dialect) {
    case "sqlite":
      return createSqliteStore({ path: `${dir}/${table}.db`, table });
    case "postgres":
      return createPostgresStore({ url: PG_URL, table, migrate: true });
    case "mysql":
      return createMysqlStore({ url: MYSQL_URL, table, migrate: true });
  }
}

export const unavailableOf = (d: Dialect) =>
  d === "postgres" ? pgUnavailable : d === "mysql" ? mysqlUnavailable : null;
