/**
 * connect-pg-simple's table: `session (sid varchar PRIMARY KEY, sess json,
 * expire timestamp(6))`. URL: `postgres://…?table=session&schema=public`.
 */
import type { Pool } from "pg";
import { parseTableName } from "../../stores/sql/identifiers.js";
import { importDriver } from "../../util/driver.js";
import { type LegacySource, type ScanPage, withTimeout } from "./source.js";

/** `expire` read as epoch ms; timestamptz cast so it is read in the same zone connect-pg-simple wrote it. */
const EXPIRE_MS = "(extract(epoch from expire::timestamptz) * 1000)::float8 AS expire";

export async function postgresSource(url: string, timeoutMs: number): Promise<LegacySource> {
  const u = new URL(url);
  const schema = u.searchParams.get("schema");
  const tableParam = u.searchParams.get("table") ?? "session";
  u.searchParams.delete("schema");
  u.searchParams.delete("table");
  const name = parseTableName(schema ? `${schema}.${tableParam}` : tableParam, true);
  const table = name.schema ? `"${name.schema}"."${name.table}"` : `"${name.table}"`;
  const pg = await importDriver<typeof import("pg")>("pg", "Reading connect-pg-simple sessions");
  const PoolCtor = (pg.default?.Pool ?? pg.Pool) as typeof Pool;
  const pool = new PoolCtor({
    connectionString: u.toString(),
    max: 4,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
  });
  pool.on("error", () => {
    // An idle client died; the next query reports the failure.
  });
  const q = <R>(text: string, values: unknown[]) =>
    withTimeout("old postgres store", timeoutMs, pool.query(text, values)) as unknown as Promise<{
      rows: R[];
    }>;

  return {
    kind: "postgres",
    async take(sid) {
      // DELETE … RETURNING: one statement, so one concurrent caller gets the row.
      const { rows } = await q<{ sess: string; expire: number }>(
        `DELETE FROM ${table} WHERE sid = $1 RETURNING sess::text AS sess, ${EXPIRE_MS}`,
        [sid],
      );
      const row = rows[0];
      return row ? { text: row.sess, expiresAt: Number(row.expire) } : null;
    },
    async restore(sid, raw) {
      const expire = raw.expiresAt ?? Date.now() + 86_400_000;
      await q(
        `INSERT INTO ${table} (sid, sess, expire) VALUES ($1, $2::json, to_timestamp($3::float8 / 1000)) ON CONFLICT (sid) DO NOTHING`,
        [sid, raw.text, expire],
      );
    },
    async scan(cursor, count): Promise<ScanPage> {
      // Keyset pagination on the primary key: restartable from the last sid seen.
      // Two shapes rather than `$1 IS NULL OR sid > $1`, which hides the primary key from the planner.
      const { rows } = await q<{ sid: string; sess: string; expire: number }>(
        cursor === null
          ? `SELECT sid, sess::text AS sess, ${EXPIRE_MS} FROM ${table} ORDER BY sid LIMIT $1`
          : `SELECT sid, sess::text AS sess, ${EXPIRE_MS} FROM ${table} WHERE sid > $2 ORDER BY sid LIMIT $1`,
        cursor === null ? [count] : [count, cursor],
      );
      const items = rows.map((r) => ({
        sid: r.sid,
        raw: { text: r.sess, expiresAt: Number(r.expire) },
      }));
      return { items, cursor: rows.length < count ? null : rows[rows.length - 1]!.sid };
    },
    async close() {
      await pool.end();
    },
  };
}
