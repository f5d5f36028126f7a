/**
 * The two seams of the SQL store: a {@link SqlDialect} says what to send
 * (statements, placeholders, JSON functions, quoting), an {@link SqlExecutor}
 * says how to send it (one thin shim per driver: better-sqlite3, pg, mysql2).
 * Everything else — semantics, error mapping, row decoding — lives once, in
 * `sql-store.ts`.
 */
import type { SessionPatch, StoredSession } from "../../core/store.js";

/** The SQL databases Cloakroom speaks. MariaDB is `"mysql"`. */
export type SqlDialectName = "sqlite" | "postgres" | "mysql";

/**
 * A value bound to a placeholder; values are never interpolated into SQL
 * text. String arrays are for PostgreSQL only (`$1::text[]`).
 */
export type SqlValue = string | number | null | readonly string[];

/** A row as a driver returns it: BIGINTs may come back as strings (pg), so decode with care. */
export type SqlRow = Record<string, unknown>;

/** One statement and its bound values. */
export interface SqlQuery {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

/** What a driver shim can do on one connection. Rejections are raw driver errors; the store maps them. */
export interface SqlConnection {
  /** Rows of a statement that returns rows. */
  query(q: SqlQuery): Promise<SqlRow[]>;
  /** Runs a statement that writes; resolves to the number of rows it matched. */
  run(q: SqlQuery): Promise<number>;
}

/** A pool (or, for SQLite, the one connection) behind a store. */
export interface SqlExecutor extends SqlConnection {
  /**
   * Runs `fn` on one connection that nothing else uses meanwhile: migrations
   * need it for their lock and transaction.
   */
  exclusive<T>(fn: (conn: SqlConnection) => Promise<T>): Promise<T>;
  /** Ends the pool if the store created it; a pool the user passed in is left open. */
  close(): Promise<void>;
}

/** The table names a store works on, validated and quoted for its dialect. */
export interface SqlNames {
  /** Quoted sessions table, e.g. `"app"."cloakroom_sessions"`. */
  readonly table: string;
  /** Quoted migrations table, in the same schema as the sessions table. */
  readonly migrations: string;
  /** The quoted counters table (login throttling): `<table>_counters`. */
  readonly counters: string;
  /** Unquoted sessions table name as given (recorded in the migrations table). */
  readonly raw: string;
  /** Quoted index name for `suffix` (e.g. `user_id_idx`), valid for the dialect. */
  index(suffix: string): string;
}

/**
 * How a patch's UPDATE checks the size limit. `exact` (the default) is the
 * dialect's exact figure. `quick` is a cheaper test a dialect may offer,
 * never true of a document that does not fit but false of some that do (near
 * the limit): the store tries it first and, when the row then did not match
 * but the exact check says the patch fits, sends the `exact` one.
 */
export type PatchSizeCheck = "exact" | "quick";

/** Statements for the store's methods. Each method of the store is one of these. */
export interface SqlStatements {
  get(key: string): SqlQuery;
  /** Deletes the row only if it expired at `now` (removal on read). */
  deleteIfExpired(key: string, now: number): SqlQuery;
  insert(key: string, s: StoredSession): SqlQuery;
  /** Moves a live row to `newKey` with the new content in ONE update (no row changed: it was gone). */
  rotate(oldKey: string, newKey: string, s: StoredSession, now: number): SqlQuery;
  /**
   * The whole patch in ONE update-only statement: set/unset field by field,
   * optional touch, and the size limit checked in its WHERE clause, so a
   * refused patch writes nothing and two patches never lose each other's keys.
   */
  patch(key: string, patch: SessionPatch, now: number, check?: PatchSizeCheck): SqlQuery;
  /**
   * Run only when `patch` matched no row: one row `{ fits }` if the session is
   * alive (fits = the patched document would be within maxBytes), none if gone.
   */
  patchCheck(key: string, patch: SessionPatch, now: number): SqlQuery;
  /** Whether `patch(…, "quick")` differs from the exact form (the dialect has a quick check). */
  readonly quickPatchCheck: boolean;
  touch(key: string, lastSeenAt: number, idleExpiresAt: number, now: number): SqlQuery;
  /**
   * Compare-and-delete of one field in ONE update: matches (one row changed)
   * only while the field holds the JSON string `value`. The row lock (or
   * SQLite's single writer) makes a racing second update re-read the row and
   * match nothing.
   */
  consumeField(key: string, field: string, value: string, now: number): SqlQuery;
  /** One row if the session is alive at `now`. */
  alive(key: string, now: number): SqlQuery;
  destroy(key: string): SqlQuery;
  listByUser(userId: string, now: number): SqlQuery;
  destroyByUser(userId: string, exceptKey?: string): SqlQuery;
  /** Deletes at most `limit` expired rows, found through the expiry index. */
  purgeBatch(now: number, limit: number): SqlQuery;
  /** One row `{ total, live, users }` (for `cloakroom-sessions stats`; a full count, not for the hot path). */
  stats(now: number): SqlQuery;
}

/** Everything dialect-specific. */
export interface SqlDialect {
  readonly name: SqlDialectName;
  /** Validates `table` (optionally `schema.table` where the dialect has schemas) and quotes the names. */
  names(table: string): SqlNames;
  statements(names: SqlNames): SqlStatements;
  /** DDL of the migrations table itself (idempotent). */
  migrationsTable(names: SqlNames): string;
  /**
   * How concurrent `migrate()` calls exclude each other: statements run before
   * and after on the same connection (advisory lock, GET_LOCK, BEGIN IMMEDIATE).
   * An acquire statement returning a column `locked` equal to 0 means the
   * lock timed out.
   */
  migrationLock(names: SqlNames): { acquire: SqlQuery[]; commit: SqlQuery[]; rollback: SqlQuery[] };
  /** Whether DDL runs inside a transaction (not on MySQL, where DDL commits implicitly). */
  readonly transactionalDdl: boolean;
  /** Whether the JSON type refuses U+0000 in keys and strings (PostgreSQL's jsonb does). */
  readonly rejectsNul: boolean;
}
