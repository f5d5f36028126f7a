/**
 * SQLite: data is JSON text in a TEXT column, changed in place with
 * `json_set`/`json_remove`. Times are INTEGER milliseconds.
 */
import { buildNames } from "../identifiers.js";
import { buildStatements, memberPath } from "../statements.js";
import type { SqlDialect } from "../types.js";

export const sqliteDialect: SqlDialect = {
  name: "sqlite",
  rejectsNul: false,
  transactionalDdl: true,
  names: (table) => buildNames(table, false, '"'),
  statements: (names) =>
    buildStatements(names, {
      style: "?",
      selectData: "data",
      least: "MIN",
      patchedDocument(bind, patch) {
        let doc = "data";
        const set = Object.keys(patch.set);
        if (set.length > 0) {
          // json(?) marks the bound text as JSON, so it is stored as a value, not a string.
          const pairs = set.map((k) => `${bind(memberPath(k))}, json(${bind(patch.set[k]!)})`);
          doc = `json_set(${doc}, ${pairs.join(", ")})`;
        }
        if (patch.unset.length > 0) {
          doc = `json_remove(${doc}, ${patch.unset.map((k) => bind(memberPath(k))).join(", ")})`;
        }
        return doc;
      },
      // json_extract gives a JSON string as SQL text; json_type tells it from an equal-looking number.
      holdsString: (bind, key, value) =>
        `json_type(data, ${bind(memberPath(key))}) = 'text' AND json_extract(data, ${bind(memberPath(key))}) = ${bind(value)}`,
      // SQLite keeps documents minified, so the text is exactly
      // {"k1":v1,"k2":v2}: sum(key + value) + 4 bytes per member (quotes, colon,
      // comma) + 1 (braces less one comma); {} is 2. Keys needing escapes over-count.
      fits: (doc, max) =>
        `(SELECT length(CAST(x.d AS BLOB)) - CASE WHEN x.d = '{}' THEN 2 ELSE 4 * (SELECT count(*) FROM json_each(x.d)) + 1 END FROM (SELECT ${doc()} AS d) AS x) <= ${max()}`,
      // rowid from the expiry index: the inner SELECT never touches the table,
      // and the DELETE goes straight to each row.
      purgeBatch: (names, bind, now, limit) =>
        `DELETE FROM ${names.table} WHERE rowid IN (SELECT rowid FROM ${names.table} WHERE idle_expires_at <= ${bind(now)} LIMIT ${bind(limit)})`,
    }),
  migrationsTable: (names) =>
    `CREATE TABLE IF NOT EXISTS ${names.migrations} (table_name TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL, PRIMARY KEY (table_name, version))`,
  // BEGIN IMMEDIATE takes the write lock up front: a second process waits
  // (busy_timeout) instead of both reading "not applied" and racing.
  migrationLock: () => ({
    acquire: [{ sql: "BEGIN IMMEDIATE", params: [] }],
    commit: [{ sql: "COMMIT", params: [] }],
    rollback: [{ sql: "ROLLBACK", params: [] }],
  }),
};
