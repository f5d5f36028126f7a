/**
 * The statements of the SQL store, written once. Dialects differ only in a
 * few fragments — placeholders, the JSON functions of a patch, how a
 * document's size is measured, `LEAST` vs `MIN`, batch deletes — which they
 * pass in as a {@link SqlFlavor}.
 *
 * Expiry: `idle_expires_at` is clamped to `absolute_expires_at` on every
 * write (create, touch, patch), so it is always the row's real deadline. The
 * liveness predicates still test both columns (a row written by another tool
 * stays correct), but the purge needs only the one indexed column.
 */
import type { SessionPatch, StoredSession } from "../../core/store.js";
import { fixed, sql } from "./binder.js";
import { objectText, SUMMARY_COLUMNS } from "./rows.js";
import type { PatchSizeCheck, SqlNames, SqlQuery, SqlStatements, SqlValue } from "./types.js";

type Bind = (value: SqlValue) => string;

export interface SqlFlavor {
  readonly style: "?" | "$n";
  /** SELECT expression giving the document as JSON text, aliased `data`. */
  readonly selectData: string;
  /**
   * Optional: a SELECT expression giving a whole record as one JSON array,
   * aliased `record` ({@link RECORD_COLUMNS} in order, see rows.ts), which a
   * read then selects instead of eight columns. For node-postgres, where
   * each column of a result costs the client on every read (its row
   * description is parsed and a type parser looked up per column, each time).
   */
  readonly selectRecord?: string;
  /** Two-argument minimum: `LEAST` (PostgreSQL, MySQL) or `MIN` (SQLite). */
  readonly least: "LEAST" | "MIN";
  /** The patched document computed from the column `data`: set, then unset. */
  patchedDocument(bind: Bind, patch: SessionPatch): string;
  /**
   * A predicate: the document's encoded size (sum of UTF-8 bytes of each key
   * and each JSON value; see `encodedSize`) is at most `max`, never true of a
   * larger one. `doc()` and `max()` write the expression and the limit,
   * binding their values again, once per use in the text.
   */
  fits(doc: () => string, max: () => string): string;
  /**
   * Optional: a cheaper predicate than {@link fits}, never true of a document
   * that does not fit, but false of some that do (near the limit). A patch
   * tries it first; see {@link PatchSizeCheck}.
   */
  fitsQuick?(doc: () => string, max: () => string): string;
  /** A predicate: the document's top-level `key` is a JSON string equal to `value`. */
  holdsString(bind: Bind, key: string, value: string): string;
  /** Deletes at most `limit` rows with `idle_expires_at <= now`, through the expiry index. */
  purgeBatch(names: SqlNames, bind: Bind, now: number, limit: number): string;
}

const SUMMARY = SUMMARY_COLUMNS.join(", ");

export function buildStatements(names: SqlNames, f: SqlFlavor): SqlStatements {
  const t = names.table;
  const q = (build: (bind: Bind) => string): SqlQuery => sql(f.style, build);
  const alive = (bind: Bind, now: number) =>
    `idle_expires_at > ${bind(now)} AND absolute_expires_at > ${bind(now)}`;
  // Statements whose shape never changes are written once: every call then
  // sends the same string, which the PostgreSQL executor finds its prepared
  // statement by without hashing a new text (and nothing is rebuilt per read).
  const getText = fixed(
    f.style,
    (a) =>
      `SELECT ${f.selectRecord ?? `${f.selectData}, ${SUMMARY}`} FROM ${t} WHERE token_hash = ${a(0)}`,
  );
  const deleteIfExpiredText = fixed(
    f.style,
    (a) =>
      `DELETE FROM ${t} WHERE token_hash = ${a(0)} AND (idle_expires_at <= ${a(1)} OR absolute_expires_at <= ${a(1)})`,
  );
  const touchText = fixed(
    f.style,
    (a) =>
      `UPDATE ${t} SET last_seen_at = ${a(0)}, idle_expires_at = ${f.least}(${a(1)}, absolute_expires_at) WHERE token_hash = ${a(2)} AND idle_expires_at > ${a(3)} AND absolute_expires_at > ${a(3)}`,
  );
  const aliveText = fixed(
    f.style,
    (a) =>
      `SELECT 1 AS alive FROM ${t} WHERE token_hash = ${a(0)} AND idle_expires_at > ${a(1)} AND absolute_expires_at > ${a(1)}`,
  );
  const destroyText = fixed(f.style, (a) => `DELETE FROM ${t} WHERE token_hash = ${a(0)}`);

  return {
    get: (key) => getText(key),

    deleteIfExpired: (key, now) => deleteIfExpiredText(key, now),

    insert: (key, s: StoredSession) =>
      q(
        (b) =>
          `INSERT INTO ${t} (token_hash, data, ${SUMMARY}) VALUES (${[
            key,
            objectText(s.data),
            s.userId,
            s.createdAt,
            s.lastSeenAt,
            Math.min(s.idleExpiresAt, s.absoluteExpiresAt),
            s.absoluteExpiresAt,
            s.ip,
            s.userAgent,
          ]
            .map(b)
            .join(", ")})`,
      ),

    // Rotation as one UPDATE of the primary key: the row changes key and
    // content only while it is alive, so a revoke-all that deleted it first
    // leaves nothing to update, and one that comes after (or waits on the
    // row's lock) finds it under its new key and the same user.
    rotate: (oldKey, newKey, s: StoredSession, now) =>
      q((b) => {
        const values = [
          s.userId,
          s.createdAt,
          s.lastSeenAt,
          Math.min(s.idleExpiresAt, s.absoluteExpiresAt),
          s.absoluteExpiresAt,
          s.ip,
          s.userAgent,
        ];
        // Bound in text order ("?" placeholders are positional).
        const head = `UPDATE ${t} SET token_hash = ${b(newKey)}, data = ${b(objectText(s.data))}`;
        const sets = SUMMARY_COLUMNS.map((c, n) => `${c} = ${b(values[n]!)}`);
        return `${head}, ${sets.join(", ")} WHERE token_hash = ${b(oldKey)} AND ${alive(b, now)}`;
      }),

    quickPatchCheck: f.fitsQuick !== undefined,

    patch: (key, patch, now, check = "exact") =>
      q((b) => {
        const fits = (check === "quick" && f.fitsQuick) || f.fits;
        const sets = [`data = ${f.patchedDocument(b, patch)}`];
        if (patch.touch) {
          sets.push(`last_seen_at = ${b(patch.touch.lastSeenAt)}`);
          sets.push(
            `idle_expires_at = ${f.least}(${b(patch.touch.idleExpiresAt)}, absolute_expires_at)`,
          );
        }
        return `UPDATE ${t} SET ${sets.join(", ")} WHERE token_hash = ${b(key)} AND ${alive(b, now)} AND ${fits(
          () => f.patchedDocument(b, patch),
          () => b(patch.maxBytes),
        )}`;
      }),

    patchCheck: (key, patch, now) =>
      q(
        (b) =>
          `SELECT CASE WHEN ${f.fits(
            () => f.patchedDocument(b, patch),
            () => b(patch.maxBytes),
          )} THEN 1 ELSE 0 END AS fits FROM ${t} WHERE token_hash = ${b(key)} AND ${alive(b, now)}`,
      ),

    touch: (key, lastSeenAt, idleExpiresAt, now) => touchText(lastSeenAt, idleExpiresAt, key, now),

    consumeField: (key, field, value, now) =>
      q((b) => {
        const doc = f.patchedDocument(b, { set: {}, unset: [field], maxBytes: 0 });
        return `UPDATE ${t} SET data = ${doc} WHERE token_hash = ${b(key)} AND ${alive(b, now)} AND ${f.holdsString(b, field, value)}`;
      }),

    alive: (key, now) => aliveText(key, now),

    destroy: (key) => destroyText(key),

    listByUser: (userId, now) =>
      q(
        (b) =>
          `SELECT token_hash, ${SUMMARY} FROM ${t} WHERE user_id = ${b(userId)} AND ${alive(b, now)}`,
      ),

    destroyByUser: (userId, exceptKey) =>
      q(
        (b) =>
          `DELETE FROM ${t} WHERE user_id = ${b(userId)}${exceptKey === undefined ? "" : ` AND token_hash <> ${b(exceptKey)}`}`,
      ),

    purgeBatch: (now, limit) => q((b) => f.purgeBatch(names, b, now, limit)),

    stats: (now) =>
      q(
        (b) =>
          `SELECT COUNT(*) AS total, COUNT(CASE WHEN ${alive(b, now)} THEN 1 END) AS live, ` +
          `COUNT(DISTINCT CASE WHEN ${alive(b, now)} THEN user_id END) AS users FROM ${t}`,
      ),
  };
}

/**
 * The JSON path of a top-level member: `$."key"`, the key JSON-quoted, so a
 * key with dots, quotes, brackets, spaces or any Unicode names exactly one
 * member (SQLite 3.45+, MySQL 8 and MariaDB 10.11 accept JSON escapes in
 * quoted path legs; test/stores/sql/odd-keys.test.ts checks it on each). Bound as a
 * parameter, never spliced into the SQL text.
 */
export function memberPath(key: string): string {
  return `$.${JSON.stringify(key)}`;
}
