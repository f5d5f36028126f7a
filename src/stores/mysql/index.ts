/**
 * `cloakroom-sessions/stores/mysql`: sessions in a MySQL 8 or MariaDB 10.11 table
 * (driver `mysql2`, an optional peer). Data is JSON, patched field by field
 * with JSON_SET/JSON_REMOVE in one UPDATE; times are BIGINT milliseconds.
 */
import { ConfigurationError } from "../../core/errors.js";
import { importDriver } from "../../util/driver.js";
import { mysqlDialectFor } from "../sql/dialects/mysql.js";
import { openSqlStore, type SqlStore, type SqlStoreOptions } from "../sql/sql-store.js";
import { MysqlExecutor, type MysqlPool } from "./executor.js";

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
export type { MysqlPool, MysqlPoolConnection, MysqlQueryOptions } from "./executor.js";

export interface MysqlStoreOptions extends Omit<SqlStoreOptions, "shared"> {
  /** Connection URL, e.g. `mysql://app:secret@db:3306/app`. Either this or `pool`. */
  url?: string;
  /**
   * Your own mysql2 pool (`mysql2/promise`, or a callback pool: its
   * `.promise()` is used). Never ended by `store.close()`. Keep mysql2's
   * default flags (FOUND_ROWS) and charset utf8mb4.
   */
  pool?: MysqlPool | { promise(): MysqlPool };
  /** Client-side deadline of every statement, ms. @default 5000 */
  queryTimeout?: number;
  /** Connection attempt deadline of a pool the store opens, ms. @default 5000 */
  connectTimeout?: number;
  /** Size of a pool the store opens. @default 10 */
  max?: number;
  /** Apply pending migrations when the store opens. @default false */
  migrate?: boolean;
}

/** The subset of the `mysql2` module the store needs to open its own pool. */
interface Mysql2 {
  createPool(config: Record<string, unknown>): { promise(): MysqlPool };
}

/**
 * Opens a MySQL/MariaDB session store on a URL or on your pool.
 * @example
 * import { createMysqlStore } from "cloakroom-sessions/stores/mysql";
 * const store = await createMysqlStore({ url: "mysql://app@127.0.0.1:3306/app", migrate: true });
 */
export async function createMysqlStore(options: MysqlStoreOptions): Promise<SqlStore> {
  const queryTimeout = options.queryTimeout ?? 5000;
  let pool: MysqlPool | undefined;
  if (options.pool) {
    const given = options.pool;
    pool =
      "promise" in given && typeof given.promise === "function"
        ? given.promise()
        : (given as MysqlPool);
  }
  const owned = pool === undefined;
  if (!pool) {
    if (!options.url) throw new ConfigurationError("the mysql store needs a url or a pool");
    // "mysql2", not "mysql2/promise": a missing package is reported by its name.
    const mod = await importDriver<{ default?: Mysql2 } & Partial<Mysql2>>(
      "mysql2",
      "The MySQL session store",
    );
    const mysql = mod.default ?? (mod as Mysql2);
    pool = mysql
      .createPool({
        uri: options.url,
        connectionLimit: options.max ?? 10,
        connectTimeout: options.connectTimeout ?? 5000,
        // utf8mb4: 4-byte UTF-8 (emoji) in data and user agents round-trips.
        charset: "utf8mb4",
        enableKeepAlive: true,
        // mysql2 queues without bound by default; past this many waiting calls
        // (a dead or stalled server) new ones fail at once, typed, instead of piling up.
        queueLimit: 1000,
      })
      .promise();
  }
  const executor = new MysqlExecutor(pool, owned, queryTimeout);
  // MariaDB or MySQL: their size checks differ (see the dialect). A server
  // that is down now is identified after its first answer.
  await executor.identifyServer();
  return openSqlStore(executor, mysqlDialectFor(executor.server), {
    ...(options.table !== undefined ? { table: options.table } : {}),
    migrate: options.migrate === true,
  });
}
