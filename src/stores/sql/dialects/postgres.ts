/**
 * PostgreSQL: data is JSONB, patched with `||` (set) and `- text[]` (unset).
 * Times are BIGINT milliseconds.
 */

import { buildNames } from "../identifiers.js";
import { objectText, RECORD_COLUMNS } from "../rows.js";
import { buildStatements } from "../statements.js";
import type { SqlDialect } from "../types.js";

export const postgresDialect: SqlDialect = {
  name: "postgres",
  rejectsNul: true,
  transactionalDdl: true,
  names: (table) => buildNames(table, true, '"'),
  statements: (names) =>
    buildStatements(names, {
      style: "$n",
      // Text, not the driver's parsed object: one decoding path for every dialect.
      selectData: "data::text AS data",
      selectRecord: `json_build_array(${RECORD_COLUMNS.join(", ")})::text AS record`,
      least: "LEAST",
      patchedDocument(bind, patch) {
        let doc = "data";
        if (Object.keys(patch.set).length > 0) {
          doc = `(${doc} || ${bind(objectText(patch.set))}::jsonb)`;
        }
        if (patch.unset.length > 0) doc = `(${doc} - ${bind(patch.unset)}::text[])`;
        return doc;
      },
      holdsString: (bind, key, value) => {
        const k = bind(key);
        return `jsonb_typeof(data -> ${k}::text) = 'string' AND data ->> ${k}::text = ${bind(value)}::text`;
      },
      // jsonb prints a document normalised: {"k": [1, 2], "o": {"x": 1}}, one
      // space after every ':' and ',' between members and elements, none
      // elsewhere outside strings. The compact text (what encodedSize counts)
      // is that minus one byte per separator, which the structure gives:
      // 2n-1 in an object of n members, n-1 in an array of n elements, at
      // every depth ('strict $.**' walks them all). Then each top-level member
      // adds 4 bytes (quotes, colon, comma) and the braces 1 more ({} is 2).
      // Exact, but for numbers jsonb rewrites (1e+21 prints in full).
      //
      // That walk was two thirds of a patch's server time even on a tiny
      // session (docs/benchmarks.md). Its figure is the printed text's length
      // minus counts that are never negative, so when the text's length alone
      // fits, so does the figure, and the walk is skipped: OR stops at its
      // first true operand. Only a document within ~2 bytes per member of the
      // limit pays for the walk.
      fits: (doc, max) =>
        `(SELECT octet_length(x.t) <= ${max()}::bigint OR octet_length(x.t) - (SELECT COALESCE(SUM(CASE jsonb_typeof(v) WHEN 'object' THEN GREATEST(2 * (SELECT count(*)::int FROM jsonb_object_keys(v)) - 1, 0) WHEN 'array' THEN GREATEST(jsonb_array_length(v) - 1, 0) ELSE 0 END), 0) FROM jsonb_path_query(x.d, 'strict $.**') AS v) - CASE WHEN x.d = '{}'::jsonb THEN 2 ELSE 4 * (SELECT count(*)::int FROM jsonb_object_keys(x.d)) + 1 END <= ${max()}::bigint FROM (SELECT y.d, y.d::text AS t FROM (SELECT ${doc()} AS d) AS y) AS x)`,
      // The first operand of `fits` alone, without the walk's subqueries: a
      // patch's UPDATE sends this first, since PostgreSQL pays to set up a
      // statement's subplans on every execution even when OR skips them
      // (docs/benchmarks.md).
      fitsQuick: (doc, max) => `octet_length((${doc()})::text) <= ${max()}::bigint`,
      // ctids of one batch from the expiry index, locked with SKIP LOCKED so a
      // purge never waits on (or blocks) a request patching a row; the DELETE
      // re-checks expiry in case the row was touched meanwhile.
      purgeBatch: (names, bind, now, limit) => {
        const n = bind(now);
        return `DELETE FROM ${names.table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${names.table} WHERE idle_expires_at <= ${n} LIMIT ${bind(limit)} FOR UPDATE SKIP LOCKED)) AND idle_expires_at <= ${n}`;
      },
    }),
  migrationsTable: (names) =>
    `CREATE TABLE IF NOT EXISTS ${names.migrations} (table_name text NOT NULL, version integer NOT NULL, name text NOT NULL, applied_at bigint NOT NULL, PRIMARY KEY (table_name, version))`,
  // A transaction-scoped advisory lock: released by COMMIT or ROLLBACK, and by
  // the server if the connection dies, so a crashed migrate() never wedges the next.
  migrationLock: (names) => ({
    acquire: [
      { sql: "BEGIN", params: [] },
      {
        sql: "SELECT pg_advisory_xact_lock(hashtext($1))",
        params: [`cloakroom-sessions migrate ${names.table}`],
      },
    ],
    commit: [{ sql: "COMMIT", params: [] }],
    rollback: [{ sql: "ROLLBACK", params: [] }],
  }),
};
