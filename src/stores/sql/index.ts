/**
 * The SQL store family, shared by `cloakroom-sessions/stores/sqlite`, `/postgres` and
 * `/mysql`: for the CLI (migrate, schema, cleanup) and for custom executors.
 */
export {
  type CleanupOptions,
  type CleanupSummary,
  type ProgressStream,
  runCleanup,
} from "../maintenance/cleanup.js";
export { type ReaperOptions, startReaper } from "../maintenance/reaper.js";
export {
  DIALECTS,
  MIGRATIONS,
  type Migration,
  type MigrationSqlOptions,
  migrationSql,
  migrationStatements,
} from "./migrations.js";
export { type MigrationResult, runMigrations } from "./migrator.js";
export { SqlStore, type SqlStoreOptions } from "./sql-store.js";
export type {
  SqlConnection,
  SqlDialect,
  SqlDialectName,
  SqlExecutor,
  SqlQuery,
  SqlRow,
  SqlValue,
} from "./types.js";
