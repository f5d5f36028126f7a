/**
 * `cloakroom-sessions/stores/sqlite`: sessions in a SQLite file, the embedded default.
 * Needs `better-sqlite3` (major 12). The file is opened in WAL mode, so
 * readers never wait for the writer, with a busy timeout so that several
 * processes on one file queue instead of failing.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ConfigurationError } from "../../core/errors.js";
import { importDriver } from "../../util/driver.js";
import { type ReaperOptions, startReaper } from "../maintenance/reaper.js";
import { sqliteDialect } from "../sql/dialects/sqlite.js";
import { openSqlStore, type SqlStore, type SqlStoreOptions } from "../sql/sql-store.js";
import { type SqliteDatabase, SqliteExecutor } from "./executor.js";

export {
  type CleanupOptions,
  type CleanupSummary,
  type ProgressStream,
  runCleanup,
} from "../maintenance/cleanup.js";
export { type ReaperOptions, startReaper } from "../maintenance/reaper.js";
export { type MigrationSqlOptions, migrationSql, migrationStatements } from "../sql/migrations.js";
export type { MigrationResult } from "../sql/migrator.js";
export type { SqlStoreOptions } from "../sql/sql-store.js";
export { SqlStore } from "../sql/sql-store.js";
export type { SqlDialectName } from "../sql/types.js";
export type { SqliteDatabase, SqliteStatement } from "./executor.js";

export interface SqliteStoreOptions extends Omit<SqlStoreOptions, "shared"> {
  /** Database file (created with its directory if missing), or `":memory:"` (one process only). */
  path?: string;
  /** Your own better-sqlite3 handle instead of `path`: used as is (its pragmas untouched) and never closed by the store. */
  database?: SqliteDatabase;
  /** How long a writer waits for another process's write lock, ms. @default 5000 */
  busyTimeout?: number;
  /**
   * Apply pending migrations when the store opens. On by default for SQLite:
   * the file belongs to this app, there is no DBA to hand the DDL to.
   * @default true
   */
  migrate?: boolean;
  /**
   * Open an existing file only: no file and no directory is created, and a
   * missing file is a `ConfigurationError` naming it (what the CLI's read
   * commands use, so `stats` on a typo does not leave an empty database).
   * @default false
   */
  mustExist?: boolean;
  /**
   * Expired rows are purged in the background, in small batches, every
   * `interval` (5 minutes by default) — SQLite has no TTL of its own. The
   * timer never keeps the process alive and stops at `close()`. `false`
   * turns it off (e.g. when `cloakroom-sessions cleanup` runs from cron).
   * @default {} (on, with the defaults of `startReaper`)
   */
  reaper?: ReaperOptions | false;
}

/**
 * Opens a SQLite session store.
 * @example
 * import { createSqliteStore } from "cloakroom-sessions/stores/sqlite";
 * const store = await createSqliteStore({ path: "./data/sessions.db" });
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<SqlStore> {
  let db = options.database;
  const owned = db === undefined;
  if (!db) {
    const path = options.path ?? "./data/sessions.db";
    const { default: Database } = await importDriver<{
      default: new (path: string, options?: { fileMustExist?: boolean }) => SqliteDatabase;
    }>("better-sqlite3", "The SQLite session store");
    const file = path !== ":memory:" && path !== "";
    try {
      if (file && !options.mustExist) mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, ...(options.mustExist ? [{ fileMustExist: true }] : []));
    } catch (err) {
      // better-sqlite3 says "unable to open database file" without a path; name it.
      const where = file ? resolve(path) : path;
      const missing = options.mustExist && /does not exist/i.test(String((err as Error).message));
      throw new ConfigurationError(
        missing
          ? `no SQLite database at ${where}`
          : `could not open the SQLite database at ${where}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    // WAL: readers do not block the writer nor it them; NORMAL sync is the
    // documented pairing for WAL (durable across app crashes; an OS crash can
    // lose the last commits, never corrupt the file).
    if (!db.memory) db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeout ?? 5000))}`);
  }
  const store = await openSqlStore(new SqliteExecutor(db, owned), sqliteDialect, {
    ...(options.table !== undefined ? { table: options.table } : {}),
    shared: !db.memory,
    migrate: options.migrate ?? true,
  });
  if (options.reaper !== false) {
    const stop = startReaper(store, options.reaper ?? {});
    const close = store.close.bind(store);
    store.close = async () => {
      await stop();
      await close();
    };
  }
  return store;
}
