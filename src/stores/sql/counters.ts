/**
 * Counters with a time to live in SQL (login throttling): one row per
 * counter in `<table>_counters`, changed by one upsert, so concurrent
 * increments on any number of servers each see their own result.
 */
import type { SqlConnection, SqlDialectName, SqlExecutor, SqlNames } from "./types.js";

/** Adds `by` to `name` (restarting an expired window) and returns the new value. */
export async function incrementCounter(
  exec: SqlExecutor,
  dialect: SqlDialectName,
  names: SqlNames,
  name: string,
  by: number,
  ttlMs: number,
  now: number,
): Promise<number> {
  const t = names.counters;
  const expiresAt = now + ttlMs;
  if (dialect === "mysql") {
    // No RETURNING with ON DUPLICATE KEY: the upsert's row lock holds until
    // COMMIT, so the SELECT in the same transaction reads this call's value.
    // Assignments run left to right: `value` reads the old `expires_at`.
    return exec.exclusive(async (conn: SqlConnection) => {
      await conn.run({ sql: "START TRANSACTION", params: [] });
      try {
        await conn.run({
          sql: `INSERT INTO ${t} (name, value, expires_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE value = IF(expires_at <= ?, ?, value + ?), expires_at = IF(expires_at <= ?, ?, expires_at)`,
          params: [name, by, expiresAt, now, by, by, now, expiresAt],
        });
        const rows = await conn.query({
          sql: `SELECT value FROM ${t} WHERE name = ?`,
          params: [name],
        });
        await conn.run({ sql: "COMMIT", params: [] });
        return Number(rows[0]?.value);
      } catch (err) {
        await conn.run({ sql: "ROLLBACK", params: [] }).catch(() => undefined);
        throw err;
      }
    });
  }
  const pg = dialect === "postgres";
  const p = pg ? ["$1", "$2", "$3", "$4", "$4"] : ["?", "?", "?", "?", "?"];
  const rows = await exec.query({
    sql: `INSERT INTO ${t} AS c (name, value, expires_at) VALUES (${p[0]}, ${p[1]}, ${p[2]}) ON CONFLICT (name) DO UPDATE SET value = CASE WHEN c.expires_at <= ${p[3]} THEN excluded.value ELSE c.value + excluded.value END, expires_at = CASE WHEN c.expires_at <= ${p[4]} THEN excluded.expires_at ELSE c.expires_at END RETURNING value`,
    params: pg ? [name, by, expiresAt, now] : [name, by, expiresAt, now, now],
  });
  return Number(rows[0]?.value);
}

export async function resetCounter(
  exec: SqlExecutor,
  dialect: SqlDialectName,
  names: SqlNames,
  name: string,
): Promise<void> {
  await exec.run({
    sql: `DELETE FROM ${names.counters} WHERE name = ${dialect === "postgres" ? "$1" : "?"}`,
    params: [name],
  });
}

/** Removes counters whose window has ended; bounded like the session purge. */
export async function purgeCounters(
  exec: SqlExecutor,
  dialect: SqlDialectName,
  names: SqlNames,
  now: number,
): Promise<number> {
  return exec.run({
    sql: `DELETE FROM ${names.counters} WHERE expires_at <= ${dialect === "postgres" ? "$1" : "?"}`,
    params: [now],
  });
}
