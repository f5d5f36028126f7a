/**
 * Fills the sessions table with N already-expired rows, as fast as each
 * database allows: one INSERT … SELECT over generate_series on PostgreSQL, a
 * recursive CTE on SQLite, 5,000-row multi-row INSERTs in one transaction on
 * MySQL/MariaDB. Rows look like real ones (43-char keys, a small document,
 * a user on one in four, an IP and a user agent).
 */
import Database from "better-sqlite3";
import mysql from "mysql2/promise";
import pg from "pg";

const DATA = '{"cart":[1,2,3],"name":"Ada","csrf":"0123456789abcdef0123456789abcdef"}';
const UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

export interface SeedTarget {
  dialect: "sqlite" | "postgres" | "mysql";
  /** Driver URL (postgres://, mysql://) or SQLite file path. */
  where: string;
  /** Unquoted table name (a plain identifier, checked by the store). */
  table: string;
}

/** Inserts `rows` sessions that expired before `now`. */
export async function seedExpired(t: SeedTarget, rows: number, now: number): Promise<void> {
  const dead = now - 60_000;
  if (t.dialect === "postgres") {
    const c = new pg.Client({ connectionString: t.where });
    await c.connect();
    try {
      await c.query(
        `INSERT INTO "${t.table}" (token_hash, data, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at, ip, user_agent)
         SELECT lpad('e' || g, 43, 'x'), $1::jsonb, CASE WHEN g % 4 = 0 THEN 'user' || (g % 5000) END,
                $2::bigint, $2::bigint, $2::bigint - (g % 86400000), $2::bigint + 3600000, '203.0.113.7', $3
         FROM generate_series(1, $4::int) AS g`,
        [DATA, dead, UA, rows],
      );
      await c.query(`ANALYZE "${t.table}"`);
      // Flush the seed's dirty pages now, or the checkpoint lands in the middle
      // of the "before" measurement (it did: p50 66 ms instead of ~1 ms).
      await c.query("CHECKPOINT");
    } finally {
      await c.end();
    }
  } else if (t.dialect === "sqlite") {
    const db = new Database(t.where);
    try {
      db.prepare(
        `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)
         INSERT INTO "${t.table}" (token_hash, data, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at, ip, user_agent)
         SELECT substr('e' || n || 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 1, 43), ?, CASE WHEN n % 4 = 0 THEN 'user' || (n % 5000) END,
                ?, ?, ? - (n % 86400000), ? + 3600000, '203.0.113.7', ? FROM g`,
      ).run(rows, DATA, dead, dead, dead, dead, UA);
      db.exec(`ANALYZE "${t.table}"`);
    } finally {
      db.close();
    }
  } else {
    const c = await mysql.createConnection({ uri: t.where, charset: "utf8mb4" });
    try {
      await c.query("START TRANSACTION");
      for (let start = 1; start <= rows; start += 5000) {
        const batch: unknown[][] = [];
        for (let n = start; n < Math.min(start + 5000, rows + 1); n++) {
          const userId = n % 4 === 0 ? `user${n % 5000}` : null;
          batch.push([
            `e${n}`.padEnd(43, "x"),
            DATA,
            userId,
            dead,
            dead,
            dead - (n % 86_400_000),
            dead + 3_600_000,
            "203.0.113.7",
            UA,
          ]);
        }
        await c.query(
          `INSERT INTO \`${t.table}\` (token_hash, data, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at, ip, user_agent) VALUES ?`,
          [batch],
        );
      }
      await c.query("COMMIT");
      await c.query(`ANALYZE TABLE \`${t.table}\``);
    } finally {
      await c.end();
    }
  }
}

/** Drops the bench table and its migration records. */
export async function dropBenchTable(t: SeedTarget): Promise<void> {
  if (t.dialect === "postgres") {
    const c = new pg.Client({ connectionString: t.where });
    await c.connect();
    await c.query(`DROP TABLE IF EXISTS "${t.table}"`);
    await c.query("DELETE FROM cloakroom_migrations WHERE table_name = $1", [t.table]);
    await c.end();
  } else if (t.dialect === "mysql") {
    const c = await mysql.createConnection({ uri: t.where });
    await c.query(`DROP TABLE IF EXISTS \`${t.table}\``);
    await c.query("DELETE FROM cloakroom_migrations WHERE table_name = ?", [t.table]);
    await c.end();
  } else {
    const db = new Database(t.where);
    db.exec(`DROP TABLE IF EXISTS "${t.table}"`);
    db.prepare("DELETE FROM cloakroom_migrations WHERE table_name = ?").run(t.table);
    db.close();
  }
}
