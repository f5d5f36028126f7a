/**
 * `cloakroom-sessions/stores/postgres`: sessions in a PostgreSQL table beside the
 * app's own data (driver `pg`, an optional peer). Data is JSONB, patched
 * field by field in one UPDATE; times are BIGINT milliseconds.
 */
import { ConfigurationError } from "../../core/errors.js";
import { importDriver } from "../../util/driver.js";
import { postgresDialect } from "../sql/dialects/postgres.js";
import { openSqlStore, type SqlStore, type SqlStoreOptions } from "../sql/sql-store.js";
import { PgExecutor, type PgPool } from "./executor.js";

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
export type { PgPool, PgPoolClient, PgQueryConfig, PgResult } from "./executor.js";

export interface PostgresStoreOptions extends Omit<SqlStoreOptions, "shared"> {
  /** Connection URL, e.g. `postgres://app@db:5432/app`. Either this or `pool`. */
  url?: string;
  /** Your own `pg.Pool`: used as is and never ended by `store.close()`. */
  pool?: PgPool;
  /** Client-side deadline of every statement, ms: past it the call fails with StoreUnavailableError. @default 5000 */
  queryTimeout?: number;
  /** Connection attempt deadline of a pool the store opens, ms. @default 5000 */
  connectTimeout?: number;
  /** Size of a pool the store opens. @default 10 */
  max?: number;
  /** Apply pending migrations when the store opens (else run `store.migrate()` or `cloakroom-sessions migrate`). @default false */
  migrate?: boolean;
  /**
   * Send statements as named prepared statements, parsed and planned once per
   * connection (a session write costs about 40% less). Behind a pooler that
   * does not keep them per client (PgBouncer in transaction mode before 1.21)
   * the store notices the first failure and goes on unnamed by itself; `false`
   * skips that first failure. @default true
   */
  prepare?: boolean;
}

/** The subset of the `pg` module the store needs to open its own pool. */
interface PgModule {
  Pool: new (
    config: Record<string, unknown>,
  ) => PgPool & {
    on(event: "error", listener: (err: Error) => void): unknown;
  };
}

/**
 * Opens a PostgreSQL session store on a URL or on your pool.
 * @example
 * import { createPostgresStore } from "cloakroom-sessions/stores/postgres";
 * const store = await createPostgresStore({ url: process.env.DATABASE_URL, migrate: true });
 * // or: await createPostgresStore({ pool: myPool, table: "auth.sessions" });
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<SqlStore> {
  const queryTimeout = options.queryTimeout ?? 5000;
  let pool = options.pool;
  const owned = pool === undefined;
  if (!pool) {
    if (!options.url) throw new ConfigurationError("the postgres store needs a url or a pool");
    const mod = await importDriver<{ default?: PgModule } & Partial<PgModule>>(
      "pg",
      "The PostgreSQL session store",
    );
    const Pool = (mod.default ?? (mod as PgModule)).Pool;
    const own = new Pool({
      connectionString: options.url,
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectTimeout ?? 5000,
      // Server-side too: a statement stuck on a lock is cancelled by the server,
      // not just abandoned by the client.
      statement_timeout: queryTimeout,
      keepAlive: true,
    });
    // An idle client whose backend died (restart, pg_terminate_backend) is
    // dropped by the pool, which then emits "error"; without a listener that
    // would crash the process. The next query simply connects afresh.
    own.on("error", () => undefined);
    pool = own;
  }
  return openSqlStore(
    new PgExecutor(pool, owned, queryTimeout, options.prepare ?? true),
    postgresDialect,
    {
      ...(options.table !== undefined ? { table: options.table } : {}),
      migrate: options.migrate === true,
    },
  );
}
