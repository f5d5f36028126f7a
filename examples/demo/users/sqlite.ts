/**
 * Users in a SQLite file through better-sqlite3 (synchronous; a demo-sized
 * table answers in microseconds, so the event loop never notices).
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { PasswordHashReason } from "../lib.js";
import { type NewUser, normalizeUsername, type User, type UserDirectory } from "./directory.js";
import { importUserDbDriver } from "./driver.js";
import { PASSKEYS_TABLE, sqlPasskeys } from "./passkeys.js";

/** The subset of a better-sqlite3 Database we use. */
interface SqliteDb {
  exec(sql: string): unknown;
  pragma(sql: string, options?: { simple: boolean }): unknown;
  prepare(sql: string): {
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
    run(...params: unknown[]): { changes: number };
  };
  close(): unknown;
}
type SqliteCtor = new (file: string) => SqliteDb;

interface Row {
  id: string;
  username: string;
  password_hash: string;
  roles: string;
  created_at: number;
  credential_version: number;
}

/** Migrations by version (PRAGMA user_version): append, never edit. */
const MIGRATIONS = [
  `CREATE TABLE IF NOT EXISTS demo_users (
     id TEXT PRIMARY KEY,
     username TEXT NOT NULL UNIQUE,
     password_hash TEXT NOT NULL,
     roles TEXT NOT NULL DEFAULT '[]',
     created_at INTEGER NOT NULL
   )`,
  PASSKEYS_TABLE.sqlite,
  "ALTER TABLE demo_users ADD COLUMN credential_version INTEGER NOT NULL DEFAULT 0",
];

const toUser = (r: Row): User => ({
  id: r.id,
  username: r.username,
  passwordHash: r.password_hash,
  roles: JSON.parse(r.roles) as string[],
  credentialVersion: Number(r.credential_version),
  createdAt: Number(r.created_at),
});

export class SqliteUserDirectory implements UserDirectory {
  readonly kind = "sqlite";
  readonly #db: SqliteDb;

  readonly passkeys;

  private constructor(db: SqliteDb) {
    this.#db = db;
    db.pragma("foreign_keys = ON");
    this.passkeys = sqlPasskeys(
      {
        all: async (sql, params) => db.prepare(sql).all(...params) as Record<string, unknown>[],
        run: async (sql, params) => db.prepare(sql).run(...params).changes,
      },
      "int",
    );
  }

  /** `file` is a path or `:memory:`. */
  static async open(file: string): Promise<SqliteUserDirectory> {
    const mod = await importUserDbDriver<{ default: SqliteCtor }>(
      "better-sqlite3",
      "USER_DB=sqlite:",
    );
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    const db = new mod.default(file);
    // WAL lets the sessions store and this table be read while one of them writes.
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
    return new SqliteUserDirectory(db);
  }

  async migrate(): Promise<void> {
    const version = Number(this.#db.pragma("user_version", { simple: true }));
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.#db.exec(`BEGIN IMMEDIATE; ${MIGRATIONS[v]}; PRAGMA user_version = ${v + 1}; COMMIT;`);
    }
  }

  async findByUsername(username: string): Promise<User | null> {
    const name = normalizeUsername(username);
    if (name === null) return null;
    const row = this.#db.prepare("SELECT * FROM demo_users WHERE username = ?").get(name);
    return row ? toUser(row as Row) : null;
  }

  async findById(id: string): Promise<User | null> {
    const row = this.#db.prepare("SELECT * FROM demo_users WHERE id = ?").get(id);
    return row ? toUser(row as Row) : null;
  }

  async setPasswordHash(
    id: string,
    passwordHash: string,
    reason: PasswordHashReason,
    replacing?: string,
  ) {
    // A rehash writes only over the hash it verified (never undoes a change made meanwhile).
    if (reason === "rehash") {
      this.#db
        .prepare("UPDATE demo_users SET password_hash = ? WHERE id = ? AND password_hash = ?")
        .run(passwordHash, id, replacing ?? "");
      return;
    }
    this.#db
      .prepare(
        "UPDATE demo_users SET password_hash = ?, credential_version = credential_version + 1 WHERE id = ?",
      )
      .run(passwordHash, id);
  }

  async create(user: NewUser): Promise<User | null> {
    const id = user.id ?? randomUUID();
    const createdAt = Date.now();
    const { changes } = this.#db
      .prepare(
        `INSERT INTO demo_users (id, username, password_hash, roles, created_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING`,
      )
      .run(id, user.username, user.passwordHash, JSON.stringify(user.roles), createdAt);
    return changes === 1 ? { ...user, id, createdAt, credentialVersion: 0 } : null;
  }

  async list(): Promise<User[]> {
    return (this.#db.prepare("SELECT * FROM demo_users ORDER BY username").all() as Row[]).map(
      toUser,
    );
  }

  async setRoles(username: string, roles: string[]): Promise<boolean> {
    const { changes } = this.#db
      .prepare("UPDATE demo_users SET roles = ? WHERE username = ?")
      .run(JSON.stringify(roles), username);
    return changes === 1;
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
