import { createPostgresStore, runCleanup, startReaper } from "cloakroom-sessions/stores/postgres"; // also /sqlite, /mysql

const store = await createPostgresStore({ url: process.env.DATABASE_URL });

await store.purgeExpired(Date.now(), {
  batchSize: 1000,
  limit: 100_000,
  onProgress: (removed) => console.log(`${removed} removed so far`),
});

// What `cloakroom-sessions cleanup <url>` runs: one progress line on a terminal,
// periodic lines elsewhere, and a summary.
await runCleanup(store, { out: process.stderr });
// postgres: removed 1,000,000 expired sessions in 14.0 s (71,415 rows/s)

// Reaper, in-process: unref'd timer, runs never overlap, failures logged and
// retried at the next tick. The SQLite store starts one by itself (every
// 5 minutes; `createSqliteStore({ reaper: { interval, batchSize } })` tunes it,
// `reaper: false` turns it off); PostgreSQL and MySQL start it when asked:
const stop = startReaper(store, {
  interval: 5 * 60_000,
  batchSize: 1000,
  maxPerRun: 100_000,
  logger: console,
});
await stop(); // on shutdown: waits for a run in progress
