import { migrationSql } from "cloakroom-sessions/stores/postgres";
import { migrationStatements } from "cloakroom-sessions/stores/sqlite";
import { type Kysely, sql } from "kysely";

// PostgreSQL (node-postgres) runs the whole parameterless script in one call.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(migrationSql("postgres", { table: "cloakroom_sessions" })).execute(db);
}

// SQLite (better-sqlite3) and MySQL take one statement per call.
export async function upSqlite(db: Kysely<unknown>): Promise<void> {
  for (const statement of migrationStatements("sqlite")) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS cloakroom_sessions`.execute(db);
}
