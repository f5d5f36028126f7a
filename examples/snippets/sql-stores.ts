import { createStore } from "cloakroom-sessions";
import { createMysqlStore, type MysqlPool } from "cloakroom-sessions/stores/mysql";
import { createPostgresStore, type PgPool } from "cloakroom-sessions/stores/postgres";
import { createSqliteStore } from "cloakroom-sessions/stores/sqlite";

declare const myPgPool: PgPool; // your pg.Pool
declare const myMysql2Pool: MysqlPool; // your mysql2 pool: promise or callback

const sqlite = await createSqliteStore({ path: "./data/sessions.db" }); // migrates at open

const pg = await createPostgresStore({ url: process.env.DATABASE_URL, migrate: true });
const pgShared = await createPostgresStore({ pool: myPgPool, table: "auth.sessions" });

const mysql = await createMysqlStore({ url: "mysql://app:secret@127.0.0.1:3306/app" });
const mysqlShared = await createMysqlStore({ pool: myMysql2Pool });

// or through the scheme:
const byUrl = await createStore("postgres://app@db/app?table=web_sessions&migrate=1");

export { byUrl, mysql, mysqlShared, pg, pgShared, sqlite };
