/**
 * Purge measurement: N expired rows are removed in batches while a loop keeps
 * reading a live session, as the app would keep serving requests.
 *
 *   npx tsx bench/purge/run.ts                                  # SQLite, 100,000 rows
 *   npx tsx bench/purge/run.ts --rows 1000000 --url postgres://postgres@127.0.0.1:5432/test
 *   npx tsx bench/purge/run.ts --url mysql://root@127.0.0.1:3306/test --batch 2000
 *
 * Prints rows, seconds, rows/s, and read latency p50/p99/max before and
 * during the purge. Works on a table of its own (cloakroom_purge_bench),
 * dropped at the end. Only ever talks to the URL given (loopback by default).
 */
import { mkdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { createStore } from "../../src/stores/create-store.js";
import { runCleanup } from "../../src/stores/maintenance/cleanup.js";
import type { SqlStore } from "../../src/stores/sql/sql-store.js";
import { dropBenchTable, type SeedTarget, seedExpired } from "./seed.js";

const { values: args } = parseArgs({
  options: {
    rows: { type: "string", default: "100000" },
    url: { type: "string", default: "sqlite:./data/purge-bench.db" },
    batch: { type: "string", default: "1000" },
    table: { type: "string", default: "cloakroom_purge_bench" },
  },
});
const rows = Number(args.rows);
const batchSize = Number(args.batch);
const table = args.table;
const url = args.url;

const scheme = url.slice(0, url.indexOf(":")).toLowerCase();
const dialect =
  scheme === "sqlite" ? "sqlite" : scheme.startsWith("postgres") ? "postgres" : "mysql";
const target: SeedTarget = {
  dialect,
  table,
  where: dialect === "sqlite" ? url.slice("sqlite:".length) : url.replace(/^mariadb:/, "mysql:"),
};
if (dialect === "sqlite") mkdirSync("./data", { recursive: true });

interface Latency {
  reads: number;
  /** Reads that failed (StoreUnavailableError: e.g. the pool's queue was full). */
  errors: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Reads the live session at a steady rate (open loop: one every `everyMs`,
 * whether or not the previous one finished) until `until` settles. Each
 * latency runs from the moment the read was due, so time spent waiting for
 * a blocked event loop or a busy pool counts — as it would for a request.
 */
async function readLoop(
  store: SqlStore,
  key: string,
  until: Promise<unknown>,
  everyMs = 2,
): Promise<Latency> {
  const ms: number[] = [];
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  let issued = 0;
  let failure: unknown;
  let errors = 0;
  const tick = () => {
    const now = performance.now();
    // At most 20 in flight: reads due meanwhile wait here, and their wait counts.
    for (; start + issued * everyMs <= now && pending.size < 20; issued++) {
      const due = start + issued * everyMs;
      const p: Promise<void> = store.get(key, Date.now()).then(
        (s) => {
          if (!s) failure = new Error("the live session disappeared during the purge");
          ms.push(performance.now() - due);
          pending.delete(p);
        },
        () => {
          errors++;
          pending.delete(p);
        },
      );
      pending.add(p);
    }
  };
  const timer = setInterval(tick, 1);
  await until.then(
    () => undefined,
    () => undefined,
  );
  clearInterval(timer);
  await Promise.all(pending);
  if (failure) throw failure;
  ms.sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0;
  return { reads: ms.length, errors, p50: at(0.5), p99: at(0.99), max: ms.at(-1) ?? 0 };
}

const fmt = (l: Latency) =>
  `${l.reads} reads (${l.errors} failed), p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms, max ${l.max.toFixed(2)} ms`;

const store = (await createStore(
  `${url}${url.includes("?") ? "&" : "?"}table=${table}&migrate=1`,
)) as SqlStore;
try {
  await dropBenchTable(target);
  await store.migrate();
  const now = Date.now();
  const live = "live".padEnd(43, "L");
  await store.create(live, {
    data: { name: '"Ada"' },
    userId: "bench-user",
    createdAt: now,
    lastSeenAt: now,
    idleExpiresAt: now + 3_600_000,
    absoluteExpiresAt: now + 7_200_000,
    ip: "127.0.0.1",
    userAgent: "bench",
  });

  let t0 = performance.now();
  await seedExpired(target, rows, now);
  console.error(
    `${dialect}: seeded ${rows.toLocaleString("en")} expired rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const before = await readLoop(store, live, new Promise((r) => setTimeout(r, 3000)));

  t0 = performance.now();
  const purge = runCleanup(store, { now, batchSize, out: process.stderr });
  const [during, summary] = await Promise.all([readLoop(store, live, purge), purge]);
  if (summary.removed !== rows)
    throw new Error(`expected ${rows} rows removed, got ${summary.removed}`);

  console.log(
    `\n${dialect} purge, batch ${batchSize}: ${rows.toLocaleString("en")} rows in ${summary.seconds.toFixed(1)} s (${summary.rowsPerSecond.toLocaleString("en")} rows/s)`,
  );
  console.log(`  reads before: ${fmt(before)}`);
  console.log(`  reads during: ${fmt(during)}`);
  console.log(
    JSON.stringify({
      dialect,
      rows,
      batchSize,
      seconds: summary.seconds,
      rowsPerSecond: summary.rowsPerSecond,
      before,
      during,
    }),
  );
} finally {
  await dropBenchTable(target);
  await store.close();
}
