/** Users in PostgreSQL through pg (`USER_DB=postgres://…`). */
import { randomUUID } from "node:crypto";
import type { PasswordHashReason } from "../lib.js";
import { type NewUser, normalizeUsername, type User, type UserDirectory } from "./directory.js";
import { importUserDbDriver } from "./driver.js";
import { dollarPlaceholders, PASSKEYS_TABLE, sqlPasskeys } from "./passkeys.js";

/** The subset of pg.Pool we use. */
interface PgPool {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  end(): Promise<void>;
}
type PgModule = {
  default: { Pool: new (options: { connectionString: string; max: number }) => PgPool };
};

interface Row {
  id: string;
  username: string;
  password_hash: string;
  roles: string[];
  created_at: string;
  credential_version: number;
}

/** Any fixed number: two demo processes starting together take turns migrating. */
const MIGRATION_LOCK = 0x636c6b72;

const MIGRATIONS = [
  `CREATE TABLE IF NOT EXISTS demo_users (
     id TEXT PRIMARY KEY,
     username TEXT NOT NULL UNIQUE,
     password_hash TEXT NOT NULL,
     roles TEXT[] NOT NULL DEFAULT '{}',
     created_at BIGINT NOT NULL
   )`,
  PASSKEYS_TABLE.postgres,
  "ALTER TABLE demo_users ADD COLUMN IF NOT EXISTS credential_version INTEGER NOT NULL DEFAULT 0",
];

const toUser = (r: Row): User => ({
  id: r.id,
  username: r.username,
  passwordHash: r.password_hash,
  roles: r.roles,
  credentialVersion: Number(r.credential_version),
  // BIGINT arrives as a string from pg (it may exceed 2^53); ms timestamps never do.
  createdAt: Number(r.created_at),
});

export class PostgresUserDirectory implements UserDirectory {
  readonly kind = "postgres";
  readonly #pool: PgPool;

  readonly passkeys;

  private constructor(pool: PgPool) {
    this.#pool = pool;
    this.passkeys = sqlPasskeys(
      {
        all: async (sql, params) =>
          (await pool.query(dollarPlaceholders(sql), params)).rows as Record<string, unknown>[],
        run: async (sql, params) =>
          (await pool.query(dollarPlaceholders(sql), params)).rowCount ?? 0,
      },
      "bool",
    );
  }

  static async open(url: string): Promise<PostgresUserDirectory> {
    const pg = await importUserDbDriver<PgModule>("pg", "USER_DB=postgres://");
    return new PostgresUserDirectory(new pg.default.Pool({ connectionString: url, max: 4 }));
  }

  async migrate(): Promise<void> {
    const sql = MIGRATIONS.map((m) => `${m};`).join("\n");
    // One statement batch inside a transaction holding an advisory lock:
    // CREATE TABLE IF NOT EXISTS alone still races on pg_type in PostgreSQL.
    await this.#pool.query(
      `BEGIN; SELECT pg_advisory_xact_lock(${MIGRATION_LOCK}); ${sql} COMMIT;`,
    );
  }

  async findByUsername(username: string): Promise<User | null> {
    const name = normalizeUsername(username);
    if (name === null) return null;
    const { rows } = await this.#pool.query("SELECT * FROM demo_users WHERE username = $1", [name]);
    return rows[0] ? toUser(rows[0] as Row) : null;
  }

  async findById(id: string): Promise<User | null> {
    const { rows } = await this.#pool.query("SELECT * FROM demo_users WHERE id = $1", [id]);
    return rows[0] ? toUser(rows[0] as Row) : null;
  }

  async setPasswordHash(
    id: string,
    passwordHash: string,
    reason: PasswordHashReason,
    replacing?: string,
  ) {
    // A rehash writes only over the hash it verified (never undoes a change made meanwhile).
    if (reason === "rehash") {
      await this.#pool.query(
        "UPDATE demo_users SET password_hash = $1 WHERE id = $2 AND password_hash = $3",
        [passwordHash, id, replacing ?? ""],
      );
      return;
    }
    await this.#pool.query(
      "UPDATE demo_users SET password_hash = $1, credential_version = credential_version + 1 WHERE id = $2",
      [passwordHash, id],
    );
  }

  async create(user: NewUser): Promise<User | null> {
    const id = user.id ?? randomUUID();
    const createdAt = Date.now();
    const { rowCount } = await this.#pool.query(
      `INSERT INTO demo_users (id, username, password_hash, roles, created_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO NOTHING`,
      [id, user.username, user.passwordHash, user.roles, createdAt],
    );
    return rowCount === 1 ? { ...user, id, createdAt, credentialVersion: 0 } : null;
  }

  async list(): Promise<User[]> {
    const { rows } = await this.#pool.query("SELECT * FROM demo_users ORDER BY username");
    return (rows as Row[]).map(toUser);
  }

  async setRoles(username: string, roles: string[]): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      "UPDATE demo_users SET roles = $1 WHERE username = $2",
      [roles, username],
    );
    return rowCount === 1;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
