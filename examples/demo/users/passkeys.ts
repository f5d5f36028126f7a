/**
 * The demo's passkeys (cloakroom-sessions/auth `PasskeyDirectory`), one
 * table next to the users in the same database: SQLite or PostgreSQL, the
 * same statements with each driver's placeholders. The credential ID is the
 * primary key (unique across users, WebAuthn §5.8.3); rows are indexed by
 * user for the account page.
 */
import type { PasskeyCredential, PasskeyDirectory, PasskeyUse } from "../lib.js";

/** One statement runner: `?` placeholders are rewritten to `$n` for PostgreSQL. */
export interface SqlRunner {
  all(sql: string, params: unknown[]): Promise<Record<string, unknown>[]>;
  /** Resolves to the number of rows changed. */
  run(sql: string, params: unknown[]): Promise<number>;
}

export const PASSKEYS_TABLE = {
  sqlite: `CREATE TABLE IF NOT EXISTS demo_passkeys (
     id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL REFERENCES demo_users(id) ON DELETE CASCADE,
     public_key BLOB NOT NULL,
     counter INTEGER NOT NULL,
     transports TEXT NOT NULL,
     device_type TEXT NOT NULL,
     backed_up INTEGER NOT NULL,
     name TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     last_used_at INTEGER
   ); CREATE INDEX IF NOT EXISTS demo_passkeys_user ON demo_passkeys (user_id)`,
  postgres: `CREATE TABLE IF NOT EXISTS demo_passkeys (
     id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL REFERENCES demo_users(id) ON DELETE CASCADE,
     public_key BYTEA NOT NULL,
     counter BIGINT NOT NULL,
     transports TEXT NOT NULL,
     device_type TEXT NOT NULL,
     backed_up BOOLEAN NOT NULL,
     name TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     last_used_at BIGINT
   ); CREATE INDEX IF NOT EXISTS demo_passkeys_user ON demo_passkeys (user_id)`,
};

function toCredential(r: Record<string, unknown>): PasskeyCredential {
  return {
    id: String(r.id),
    userId: String(r.user_id),
    publicKey: new Uint8Array(r.public_key as Uint8Array),
    counter: Number(r.counter),
    transports: JSON.parse(String(r.transports)) as string[],
    deviceType: r.device_type === "multiDevice" ? "multiDevice" : "singleDevice",
    backedUp: r.backed_up === true || r.backed_up === 1,
    name: String(r.name),
    createdAt: Number(r.created_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
  };
}

export function sqlPasskeys(db: SqlRunner, booleans: "int" | "bool"): PasskeyDirectory {
  const bool = (b: boolean) => (booleans === "int" ? (b ? 1 : 0) : b);
  return {
    async find(id) {
      const rows = await db.all("SELECT * FROM demo_passkeys WHERE id = ?", [id]);
      return rows[0] ? toCredential(rows[0]) : null;
    },
    async list(userId) {
      const rows = await db.all("SELECT * FROM demo_passkeys WHERE user_id = ?", [userId]);
      return rows.map(toCredential);
    },
    async add(c) {
      const n = await db.run(
        `INSERT INTO demo_passkeys (id, user_id, public_key, counter, transports, device_type, backed_up, name, created_at, last_used_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
        [
          c.id,
          c.userId,
          Buffer.from(c.publicKey),
          c.counter,
          JSON.stringify(c.transports),
          c.deviceType,
          bool(c.backedUp),
          c.name,
          c.createdAt,
          c.lastUsedAt,
        ],
      );
      return n === 1;
    },
    async recordUse(id, use: PasskeyUse) {
      await db.run(
        "UPDATE demo_passkeys SET counter = ?, backed_up = ?, device_type = ?, last_used_at = ? WHERE id = ?",
        [use.counter, bool(use.backedUp), use.deviceType, use.lastUsedAt, id],
      );
    },
    async rename(userId, id, name) {
      return (
        (await db.run("UPDATE demo_passkeys SET name = ? WHERE id = ? AND user_id = ?", [
          name,
          id,
          userId,
        ])) === 1
      );
    },
    async remove(userId, id) {
      return (
        (await db.run("DELETE FROM demo_passkeys WHERE id = ? AND user_id = ?", [id, userId])) === 1
      );
    },
  };
}

/** `?` → `$1, $2…` for PostgreSQL (the statements above hold no `?` elsewhere). */
export function dollarPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
