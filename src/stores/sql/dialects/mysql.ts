/**
 * MySQL 8 and MariaDB 10.11: data is JSON (on MariaDB an alias of LONGTEXT
 * with a JSON_VALID check), patched with `JSON_SET`/`JSON_REMOVE`. Times are
 * BIGINT milliseconds (no TIMESTAMP: it ends in 2038).
 */
import { buildNames } from "../identifiers.js";
import { buildStatements, memberPath } from "../statements.js";
import type { SqlDialect, SqlNames, SqlStatements } from "../types.js";

/** What a store has learnt of its server: whether it is MariaDB, `undefined` until it knows. */
export interface MysqlServerInfo {
  readonly mariadb: boolean | undefined;
}

/**
 * The byte size of a patched document as `encodedSize` counts it (each key
 * and each JSON value, without the punctuation between them).
 *
 * Both servers print a document they changed in one normalised form,
 * `{"k": v, "k2": v2}`, whatever text was stored: MariaDB re-serialises its
 * LONGTEXT, MySQL prints its binary JSON. MariaDB's JSON_COMPACT takes the
 * spaces out again, inside values too, which makes the count exact there:
 * `{}` is 2 bytes and each member adds 4 (two quotes, a colon, a comma; one
 * comma fewer than members). MySQL 8 has no JSON_COMPACT, so there (and on a
 * server not identified yet) 6 bytes per member come off the normalised
 * text: exact for scalar values, a few bytes over for nested objects and
 * arrays, whose inner spaces count, so a write near the limit may be refused
 * a little early, never accepted late.
 */
function documentSize(server: MysqlServerInfo, doc: () => string): string {
  if (server.mariadb === true) {
    return `(LENGTH(JSON_COMPACT(${doc()})) - 4 * JSON_LENGTH(${doc()}) - 1 - (JSON_LENGTH(${doc()}) = 0))`;
  }
  return `(LENGTH(${doc()}) - 6 * JSON_LENGTH(${doc()}) - 2 * (JSON_LENGTH(${doc()}) = 0))`;
}

function buildMysqlStatements(names: SqlNames, server: MysqlServerInfo): SqlStatements {
  return buildStatements(names, {
    style: "?",
    // CAST: MySQL 8 hands JSON columns to mysql2 as parsed objects, MariaDB as text.
    selectData: "CAST(data AS CHAR CHARACTER SET utf8mb4) AS data",
    least: "LEAST",
    patchedDocument(bind, patch) {
      let doc = "data";
      const set = Object.keys(patch.set);
      if (set.length > 0) {
        // JSON_EXTRACT(?, '$') turns the bound text into a JSON value on both
        // servers (MariaDB has no CAST(... AS JSON)); a bare ? would be a string.
        const pairs = set.map(
          (k) => `${bind(memberPath(k))}, JSON_EXTRACT(${bind(patch.set[k]!)}, '$')`,
        );
        doc = `JSON_SET(${doc}, ${pairs.join(", ")})`;
      }
      if (patch.unset.length > 0) {
        doc = `JSON_REMOVE(${doc}, ${patch.unset.map((k) => bind(memberPath(k))).join(", ")})`;
      }
      return doc;
    },
    // Compared as bytes: the column's collation could call "A" and "a" equal.
    holdsString: (bind, key, value) => {
      const member = () => `JSON_EXTRACT(data, ${bind(memberPath(key))})`;
      return `JSON_TYPE(${member()}) = 'STRING' AND CAST(JSON_UNQUOTE(${member()}) AS BINARY) = CAST(${bind(value)} AS BINARY)`;
    },
    fits: (doc, max) => `${documentSize(server, doc)} <= ${max()}`,
    // Single-table DELETE ... LIMIT walks the expiry index; ordering by the
    // whole index (InnoDB appends the primary key) keeps it deterministic for
    // statement-based replication.
    purgeBatch: (names, bind, now, limit) =>
      `DELETE FROM ${names.table} WHERE idle_expires_at <= ${bind(now)} ORDER BY idle_expires_at, token_hash LIMIT ${bind(limit)}`,
  });
}

export const mysqlDialect: SqlDialect = {
  name: "mysql",
  rejectsNul: false,
  transactionalDdl: false,
  names: (table) => buildNames(table, false, "`"),
  statements: (names) => buildMysqlStatements(names, { mariadb: undefined }),
  migrationsTable: (names) =>
    `CREATE TABLE IF NOT EXISTS ${names.migrations} (table_name VARCHAR(128) NOT NULL, version INT NOT NULL, name VARCHAR(255) NOT NULL, applied_at BIGINT NOT NULL, PRIMARY KEY (table_name, version)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  // DDL commits implicitly in MySQL, so a transaction cannot serialise
  // migrations: a named lock does, per database and table (SHA1 keeps the name
  // under the 64-character limit). GET_LOCK returns 0 on timeout.
  migrationLock: (names) => {
    const name = "SHA1(CONCAT('cloakroom migrate ', COALESCE(DATABASE(), ''), ' ', ?))";
    return {
      acquire: [{ sql: `SELECT GET_LOCK(${name}, 30) AS locked`, params: [names.table] }],
      commit: [{ sql: `SELECT RELEASE_LOCK(${name}) AS released`, params: [names.table] }],
      rollback: [{ sql: `SELECT RELEASE_LOCK(${name}) AS released`, params: [names.table] }],
    };
  },
};

/** The dialect of one store, whose size check follows what the store learnt of its server. */
export function mysqlDialectFor(server: MysqlServerInfo): SqlDialect {
  return { ...mysqlDialect, statements: (names) => buildMysqlStatements(names, server) };
}
