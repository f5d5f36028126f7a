/**
 * Lookup latency as the number of live sessions grows (1k, 100k, 1M), in
 * Redis (the private instance, database 0) and PostgreSQL (database
 * `bench_scale`): Cloakroom's stores and the incumbents' layouts side by
 * side. Seeding is incremental (1k, then up to 100k, …) and fast: pipelined
 * writes for Redis, `INSERT … SELECT generate_series` for PostgreSQL. Each
 * lookup is one `get` of a random existing session, one at a time, so the
 * figure is a request's latency, not a queue's.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { SessionStore, StoredSession } from "cloakroom-sessions";
import connectPgSimple from "connect-pg-simple";
import { RedisStore as ConnectRedis } from "connect-redis";
import session from "express-session";
import pg from "pg";
import type { RedisClientType } from "redis";
import { pgUrlFor } from "./backends.js";
import type { ScaleResult } from "./results.js";
import { percentile, round } from "./stats.js";

export interface ScaleOptions {
  redis: RedisClientType | null;
  pgAdmin: string | null;
  sizes: number[];
  samples: number;
  log: (msg: string) => void;
}

/** A layout under test: how to add sessions `[from, to)` and how to look one up. */
interface Layout {
  backend: "redis" | "postgres";
  name: string;
  seed(from: number, to: number): Promise<void>;
  lookup(i: number): Promise<unknown>;
  close(): Promise<void>;
}

/** Store key of session i: SHA-256 base64url, 43 characters, as Cloakroom's keys are. */
const keyOf = (i: number) => createHash("sha256").update(`k${i}`).digest("base64url");
/** The same key computed by PostgreSQL, for set-based seeding. */
const PG_KEY = "translate(rtrim(encode(sha256(('k' || g)::bytea), 'base64'), '='), '+/', '-_')";

const SESSION_JSON = JSON.stringify({
  cookie: {
    originalMaxAge: 1_800_000,
    expires: "2099-01-01T00:00:00.000Z",
    httpOnly: true,
    path: "/",
    sameSite: "lax",
  },
  userId: "user-42",
  counter: 0,
});
const FAR = Date.parse("2099-01-01");
const root = fileURLToPath(new URL("../../", import.meta.url));
const has = (f: string) => existsSync(root + f);

function record(now: number): StoredSession {
  return {
    data: { counter: "0" },
    userId: null,
    createdAt: now,
    lastSeenAt: now,
    idleExpiresAt: FAR,
    absoluteExpiresAt: FAR,
    ip: "127.0.0.1",
    userAgent: "bench",
  };
}

/** Longest a layout may spend seeding, all sizes together: the run stays bounded on a slow machine. */
const SEED_BUDGET_MS = 300_000;
let seedDeadline = 0;

async function inBatches(
  from: number,
  to: number,
  size: number,
  fn: (i: number) => Promise<unknown>,
) {
  for (let start = from; start < to; start += size) {
    if (Date.now() > seedDeadline) {
      throw new Error(
        `seeding stopped at ${start.toLocaleString("en-US")} sessions: over its ${SEED_BUDGET_MS / 1000} s budget`,
      );
    }
    const end = Math.min(to, start + size);
    await Promise.all(Array.from({ length: end - start }, (_, j) => fn(start + j)));
  }
}

function connectRedisLayout(redis: RedisClientType): Layout {
  const store = new ConnectRedis({ client: redis, prefix: "sess:" });
  return {
    backend: "redis",
    name: "connect-redis (string of JSON per session)",
    seed: (from, to) =>
      inBatches(from, to, 5000, (i) =>
        redis.set(`sess:${keyOf(i)}`, SESSION_JSON, { expiration: { type: "EX", value: 86_400 } }),
      ),
    lookup: (i) => store.get(keyOf(i)),
    close: async () => undefined,
  };
}

async function cloakroomLayout(
  backend: "redis" | "postgres",
  url: string,
  db: pg.Client | null,
): Promise<Layout> {
  const { createStore } = await import("cloakroom-sessions");
  // Seeding through `create` sends many scripts at once: a generous timeout, so a busy machine is slow, not failing.
  const store: SessionStore = await createStore(
    url,
    backend === "redis" ? { commandTimeout: 30_000 } : {},
  );
  await store.migrate?.();
  const now = Date.now();
  let clone: ((from: number, to: number) => Promise<void>) | null = null;
  if (db) {
    // Clone one real row with generated keys: the store's own schema, seeded in one statement per batch.
    await store.create(keyOf(0), record(now));
    const found = await db.query<{ t: string; c: string }>(
      "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS t, column_name AS c FROM information_schema.columns WHERE column_name = 'token_hash' AND table_schema NOT IN ('pg_catalog', 'information_schema') LIMIT 1",
    );
    const hit = found.rows[0];
    if (hit) {
      const cols = (
        await db.query<{ c: string }>(
          `SELECT column_name AS c FROM information_schema.columns WHERE quote_ident(table_schema) || '.' || quote_ident(table_name) = $1 ORDER BY ordinal_position`,
          [hit.t],
        )
      ).rows.map((r) => `"${r.c}"`);
      const select = cols.map((c) => (c === `"${hit.c}"` ? PG_KEY : `s.${c}`)).join(", ");
      clone = async (from, to) => {
        await db.query(
          `INSERT INTO ${hit.t} (${cols.join(", ")}) SELECT ${select} FROM ${hit.t} s, generate_series($1::int, $2::int) g WHERE s."${hit.c}" = $3 ON CONFLICT DO NOTHING`,
          [Math.max(from, 1), to - 1, keyOf(0)],
        );
      };
    }
  }
  return {
    backend,
    name: `cloakroom ${backend} store${clone ? "" : " (seeded through create)"}`,
    seed:
      clone ?? ((from, to) => inBatches(from, to, 500, (i) => store.create(keyOf(i), record(now)))),
    lookup: async (i) => {
      if ((await store.get(keyOf(i), Date.now())) === null)
        throw new Error(`session ${i} not found`);
    },
    close: async () => store.close?.(),
  };
}

async function connectPgLayout(url: string, db: pg.Client): Promise<Layout> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const PgStore = connectPgSimple(session);
  const store = new PgStore({
    pool,
    tableName: "session",
    createTableIfMissing: false,
    pruneSessionInterval: false,
  });
  await db.query(
    'CREATE TABLE IF NOT EXISTS "session" ("sid" varchar NOT NULL COLLATE "default" PRIMARY KEY, "sess" json NOT NULL, "expire" timestamp(6) NOT NULL)',
  );
  await db.query('CREATE INDEX IF NOT EXISTS "IDX_session_expire" ON "session" ("expire")');
  return {
    backend: "postgres",
    name: "connect-pg-simple (json row per session)",
    seed: async (from, to) => {
      await db.query(
        `INSERT INTO "session" SELECT ${PG_KEY}, $3::json, now() + interval '1 day' FROM generate_series($1::int, $2::int) g ON CONFLICT DO NOTHING`,
        [from, to - 1, SESSION_JSON],
      );
    },
    lookup: (i) =>
      new Promise((resolve, reject) =>
        store.get(keyOf(i), (err, s) => (err ? reject(err) : resolve(s))),
      ),
    close: () => pool.end(),
  };
}

async function measureLayout(o: ScaleOptions, layout: Layout, out: ScaleResult[]): Promise<void> {
  let seeded = 0;
  seedDeadline = Date.now() + SEED_BUDGET_MS;
  for (const size of o.sizes) {
    const t = performance.now();
    await layout.seed(seeded, size);
    seeded = size;
    o.log(
      `scale: ${layout.name}: ${size.toLocaleString("en-US")} sessions seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    for (let i = 0; i < 200; i++) await layout.lookup((i * 7919) % size); // warm-up
    const times: number[] = [];
    for (let i = 0; i < o.samples; i++) {
      const k = Math.floor(Math.random() * size);
      const s = performance.now();
      await layout.lookup(k);
      times.push(performance.now() - s);
    }
    const r: ScaleResult = {
      backend: layout.backend,
      layout: layout.name,
      sessions: size,
      samples: times.length,
      p50_ms: round(percentile(times, 50), 3),
      p99_ms: round(percentile(times, 99), 3),
    };
    out.push(r);
    o.log(
      `scale: ${layout.name} @ ${size.toLocaleString("en-US")}: p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms`,
    );
  }
}

export async function runScale(o: ScaleOptions): Promise<ScaleResult[]> {
  const out: ScaleResult[] = [];
  const attempt = async (what: string, open: () => Promise<Layout>) => {
    let layout: Layout | null = null;
    try {
      layout = await open();
      await measureLayout(o, layout, out);
    } catch (err) {
      o.log(`scale: ${what} failed: ${(err as Error).message}`);
      out.push({
        backend: what.includes("redis") ? "redis" : "postgres",
        layout: what,
        sessions: 0,
        samples: 0,
        p50_ms: null,
        p99_ms: null,
        note: `failed: ${(err as Error).message}`,
      });
    } finally {
      await layout?.close().catch(() => undefined);
    }
  };
  if (o.redis) {
    const redis = o.redis;
    const url = `${redis.options?.url ?? "redis://127.0.0.1:6600"}`.replace(/\/\d+$/, "/0");
    await redis.flushDb();
    await attempt("connect-redis", async () => connectRedisLayout(redis));
    await redis.flushDb();
    if (has("src/stores/redis/index.ts"))
      await attempt("cloakroom redis store", () => cloakroomLayout("redis", url, null));
    await redis.flushDb();
  }
  if (o.pgAdmin) {
    const url = pgUrlFor(o.pgAdmin, "scale");
    const admin = new pg.Client({ connectionString: o.pgAdmin });
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS "bench_scale" WITH (FORCE)');
    await admin.query('CREATE DATABASE "bench_scale"');
    await admin.end();
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      await attempt("connect-pg-simple", () => connectPgLayout(url, db));
      if (has("src/stores/postgres/index.ts"))
        await attempt("cloakroom postgres store", () => cloakroomLayout("postgres", url, db));
    } finally {
      await db.end();
      // A million rows per layout is hundreds of MB on the shared server: not left behind.
      const cleanup = new pg.Client({ connectionString: o.pgAdmin });
      await cleanup.connect();
      await cleanup
        .query('DROP DATABASE IF EXISTS "bench_scale" WITH (FORCE)')
        .catch(() => undefined);
      await cleanup.end();
    }
  }
  return out;
}
