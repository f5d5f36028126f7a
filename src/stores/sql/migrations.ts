/**
 * The schema, as versioned migrations kept as data (like Kysely's or
 * Knex's): each has a version, a name, and its DDL for every dialect. They are
 * applied in order by `migrate()` and recorded in `cloakroom_migrations`, one
 * row per sessions table and version, so two session tables in one database
 * migrate independently. Statements are idempotent (`IF NOT EXISTS`) so that
 * a schema first created by hand from `migrationSql()` can be adopted.
 *
 * Never edit a released migration: add the next version.
 */
import { ConfigurationError } from "../../core/errors.js";
import { mysqlDialect } from "./dialects/mysql.js";
import { postgresDialect } from "./dialects/postgres.js";
import { sqliteDialect } from "./dialects/sqlite.js";
import { DEFAULT_TABLE } from "./identifiers.js";
import type { SqlDialect, SqlDialectName, SqlNames } from "./types.js";

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** DDL statements per dialect, one statement per string (mysql2 runs one at a time). */
  readonly up: Readonly<Record<SqlDialectName, (names: SqlNames) => string[]>>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "create sessions table",
    up: {
      sqlite: (n) => [
        `CREATE TABLE IF NOT EXISTS ${n.table} (
  token_hash TEXT NOT NULL PRIMARY KEY,
  user_id TEXT,
  data TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  idle_expires_at INTEGER NOT NULL,
  absolute_expires_at INTEGER NOT NULL,
  ip TEXT,
  user_agent TEXT
)`,
        // Partial: anonymous sessions (most rows) stay out of the user index.
        `CREATE INDEX IF NOT EXISTS ${n.index("user_id_idx")} ON ${n.table} (user_id) WHERE user_id IS NOT NULL`,
        `CREATE INDEX IF NOT EXISTS ${n.index("idle_expires_at_idx")} ON ${n.table} (idle_expires_at)`,
      ],
      postgres: (n) => [
        `CREATE TABLE IF NOT EXISTS ${n.table} (
  token_hash text PRIMARY KEY,
  user_id text,
  data jsonb NOT NULL DEFAULT '{}',
  created_at bigint NOT NULL,
  last_seen_at bigint NOT NULL,
  idle_expires_at bigint NOT NULL,
  absolute_expires_at bigint NOT NULL,
  ip text,
  user_agent text
)`,
        `CREATE INDEX IF NOT EXISTS ${n.index("user_id_idx")} ON ${n.table} (user_id) WHERE user_id IS NOT NULL`,
        `CREATE INDEX IF NOT EXISTS ${n.index("idle_expires_at_idx")} ON ${n.table} (idle_expires_at)`,
      ],
      // ascii_bin on the key: byte comparison, so keys differing in case never
      // match (REL-47). utf8mb4_bin elsewhere: 4-byte UTF-8, exact user ids.
      mysql: (n) => [
        `CREATE TABLE IF NOT EXISTS ${n.table} (
  token_hash VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  user_id VARCHAR(255) NULL,
  data JSON NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  idle_expires_at BIGINT NOT NULL,
  absolute_expires_at BIGINT NOT NULL,
  ip VARCHAR(255) NULL,
  user_agent TEXT NULL,
  INDEX ${n.index("user_id_idx")} (user_id),
  INDEX ${n.index("idle_expires_at_idx")} (idle_expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      ],
    },
  },
  {
    version: 2,
    name: "create counters table",
    up: {
      sqlite: (n) => [
        `CREATE TABLE IF NOT EXISTS ${n.counters} (
  name TEXT NOT NULL PRIMARY KEY,
  value INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
)`,
      ],
      postgres: (n) => [
        `CREATE TABLE IF NOT EXISTS ${n.counters} (
  name text PRIMARY KEY,
  value bigint NOT NULL,
  expires_at bigint NOT NULL
)`,
      ],
      mysql: (n) => [
        `CREATE TABLE IF NOT EXISTS ${n.counters} (
  name VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  value BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
) ENGINE=InnoDB`,
      ],
    },
  },
];

export const DIALECTS: Readonly<Record<SqlDialectName, SqlDialect>> = {
  sqlite: sqliteDialect,
  postgres: postgresDialect,
  mysql: mysqlDialect,
};

export interface MigrationSqlOptions {
  /** Sessions table, `schema.table` allowed on PostgreSQL. @default "cloakroom_sessions" */
  table?: string;
}

/**
 * The SQL of every migration for `dialect`, for users who run their own
 * migration tool (Drizzle, Kysely, Prisma, Alembic…). This is what
 * `cloakroom-sessions schema <dialect>` prints.
 * @example
 * import { migrationSql } from "cloakroom-sessions/stores/postgres";
 * await sql.raw(migrationSql("postgres", { table: "sessions" })).execute(db); // Kysely
 */
export function migrationSql(dialect: SqlDialectName, options: MigrationSqlOptions = {}): string {
  const out: string[] = [];
  for (const m of migrationSteps(dialect, options)) {
    out.push(`-- cloakroom migration ${m.version}: ${m.name}`);
    for (const stmt of m.statements) out.push(`${stmt};`);
  }
  return `${out.join("\n")}\n`;
}

/**
 * The same SQL as {@link migrationSql}, one statement per entry (no trailing
 * `;`), for drivers and tools that run one statement per call: better-sqlite3
 * and mysql2 refuse a multi-statement string ("more than one statement").
 * @example
 * import { migrationStatements } from "cloakroom-sessions/stores/sqlite";
 * for (const stmt of migrationStatements("sqlite")) await sql.raw(stmt).execute(db); // Kysely
 */
export function migrationStatements(
  dialect: SqlDialectName,
  options: MigrationSqlOptions = {},
): string[] {
  return migrationSteps(dialect, options).flatMap((m) => m.statements);
}

function migrationSteps(
  dialect: SqlDialectName,
  options: MigrationSqlOptions,
): { version: number; name: string; statements: string[] }[] {
  const d = DIALECTS[dialect];
  if (!d) {
    throw new ConfigurationError(
      `unknown SQL dialect ${JSON.stringify(dialect)}: sqlite, postgres or mysql`,
    );
  }
  const names = d.names(options.table ?? DEFAULT_TABLE);
  return MIGRATIONS.map((m) => ({
    version: m.version,
    name: m.name,
    statements: [...m.up[dialect](names)],
  }));
}
