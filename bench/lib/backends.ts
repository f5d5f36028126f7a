/**
 * Gives each scenario a clean place of its own in each backend, so sizes can
 * be read per scenario: its own Redis database number on the private
 * instance, its own PostgreSQL database, its own SQLite file.
 */
import { mkdirSync, rmSync } from "node:fs";
import pg from "pg";
import { createClient, type RedisClientType } from "redis";
import { memoryOfAllKeys } from "./private-redis.js";
import type { Scenario } from "./scenarios.js";

export interface Backends {
  /** The private Redis (null when redis-server is not installed). */
  redis: { url: string; client: RedisClientType } | null;
  /** Admin URL of the PostgreSQL server (null when unreachable). */
  pgAdmin: string | null;
}

const slug = (name: string) => name.replace(/[^a-z0-9]+/g, "_");

/** The URL of the bench's database `bench_<name>` on the server `admin` points at. */
export function pgUrlFor(admin: string, name: string): string {
  const u = new URL(admin);
  u.pathname = `/bench_${slug(name)}`;
  return u.toString();
}

/** Empties the scenario's places and returns the environment its server needs. */
export async function prepare(
  b: Backends,
  s: Scenario,
  index: number,
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  if (b.redis) {
    const db = (index % 15) + 1; // 0 stays free for the scale runs
    env.BENCH_REDIS_URL = b.redis.url.replace(/\/\d+$/, `/${db}`);
    await withDb(env.BENCH_REDIS_URL, (c) => c.flushDb());
  }
  if (b.pgAdmin && (s.backend === "postgres" || s.backend === "tiered")) {
    const name = `bench_${slug(s.name)}`;
    const admin = new pg.Client({ connectionString: b.pgAdmin });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${name}"`);
    } finally {
      await admin.end();
    }
    env.BENCH_PG_URL = pgUrlFor(b.pgAdmin, s.name);
  }
  if (s.backend === "sqlite") {
    const dir = `data/bench/${slug(s.name)}`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    env.BENCH_SQLITE_FILE = `${dir}/sessions.db`;
  }
  return env;
}

/** A short-lived client on one database: scenarios are prepared in parallel, so no shared SELECT. */
async function withDb<T>(url: string, fn: (c: RedisClientType) => Promise<T>): Promise<T> {
  const c: RedisClientType = createClient({ url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.quit();
  }
}

export interface SessionBytes {
  bytes: number | null;
  detail: string;
}

/**
 * Bytes one session occupies, read when the scenario's place holds exactly
 * the one session its server created at login: Redis `MEMORY USAGE` summed
 * over every key (indexes included), PostgreSQL `pg_column_size` of every row
 * of every table but migration bookkeeping.
 */
export async function bytesPerSession(
  b: Backends,
  s: Scenario,
  env: Record<string, string>,
): Promise<SessionBytes> {
  if (s.backend === "redis" && b.redis && env.BENCH_REDIS_URL) {
    const { bytes, keys } = await withDb(env.BENCH_REDIS_URL, memoryOfAllKeys);
    return { bytes, detail: `redis keys: ${keys.join(", ")}` };
  }
  if ((s.backend === "postgres" || s.backend === "tiered") && env.BENCH_PG_URL) {
    const c = new pg.Client({ connectionString: env.BENCH_PG_URL });
    await c.connect();
    try {
      const tables = await c.query<{ t: string }>(
        "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS t FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') AND table_name NOT ILIKE '%migration%'",
      );
      let bytes = 0;
      for (const { t } of tables.rows) {
        const r = await c.query<{ n: string | null }>(
          `SELECT sum(pg_column_size(x.*)) AS n FROM ${t} x`,
        );
        bytes += Number(r.rows[0]?.n ?? 0);
      }
      return { bytes, detail: `pg tables: ${tables.rows.map((r) => r.t).join(", ")}` };
    } finally {
      await c.end();
    }
  }
  return { bytes: null, detail: "not measured for this backend" };
}
