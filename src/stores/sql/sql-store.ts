/**
 * One session store for every SQL database: the semantics of `SessionStore`
 * written once over a {@link SqlDialect} (what to send) and a
 * {@link SqlExecutor} (how to send it). Each method is one statement; the
 * only follow-ups are a cheap SELECT when a patch matched no row
 * (to tell "gone" from "too large"), and the removal of a row found expired
 * on read.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import { ConfigurationError, SessionDataError, StoreUnavailableError } from "../../core/errors.js";
import {
  guardStore,
  isAlive,
  isStoreKey,
  type MigrationResult,
  type PatchResult,
  type PurgeOptions,
  type RotateResult,
  type SessionPatch,
  type SessionStore,
  type SessionSummary,
  type StoredSession,
  type StoreStats,
} from "../../core/store.js";
import { isTouchOnly } from "../record-json.js";
import { incrementCounter, purgeCounters, resetCounter } from "./counters.js";
import { DEFAULT_TABLE } from "./identifiers.js";
import { MIGRATIONS } from "./migrations.js";
import { runMigrations } from "./migrator.js";
import { findUnstorable, toStoredSession, toSummary } from "./rows.js";
import type { PatchSizeCheck, SqlDialect, SqlExecutor, SqlNames, SqlStatements } from "./types.js";

export interface SqlStoreOptions {
  /**
   * Sessions table; `schema.table` on PostgreSQL. Validated against
   * `/^[A-Za-z_][A-Za-z0-9_]{0,62}$/` per part, then quoted.
   * @default "cloakroom_sessions"
   */
  table?: string;
  /** Whether several processes share the records (false only for SQLite `:memory:`). @default true */
  shared?: boolean;
}

/** How often a patch that matched no row but would fit is retried (a concurrent patch shrank the document). */
const PATCH_ATTEMPTS = 3;

export class SqlStore implements SessionStore {
  readonly kind: string;
  readonly capabilities: { readonly shared: boolean };
  /** The dialect this store speaks. */
  readonly dialect: SqlDialect;
  /** The quoted sessions table. */
  readonly table: string;
  readonly #exec: SqlExecutor;
  readonly #names: SqlNames;
  readonly #sql: SqlStatements;

  constructor(executor: SqlExecutor, dialect: SqlDialect, options: SqlStoreOptions = {}) {
    this.kind = dialect.name;
    this.dialect = dialect;
    this.capabilities = { shared: options.shared ?? true };
    this.#exec = executor;
    this.#names = dialect.names(options.table ?? DEFAULT_TABLE);
    this.table = this.#names.table;
    this.#sql = dialect.statements(this.#names);
  }

  async get(key: string, now: number): Promise<StoredSession | null> {
    if (!isStoreKey(key)) return null;
    const rows = await this.#call("get", () => this.#exec.query(this.#sql.get(key)));
    if (rows.length === 0) return null;
    const session = this.#decode(() => toStoredSession(rows[0]!));
    if (isAlive(session, now)) return session;
    // Expired but still stored: gone for the caller, and removed on the way
    // (REL-23) — only if still expired, so a concurrent touch is not undone.
    await this.#call("get", () => this.#exec.run(this.#sql.deleteIfExpired(key, now)));
    return null;
  }

  async create(key: string, session: StoredSession): Promise<void> {
    if (!isStoreKey(key)) {
      throw new SessionDataError("store keys are 43 characters of [A-Za-z0-9_-]");
    }
    this.#checkStorable(session.data);
    await this.#call("create", () => this.#exec.run(this.#sql.insert(key, session)));
  }

  async rotate(
    oldKey: string,
    newKey: string,
    session: StoredSession,
    now: number,
  ): Promise<RotateResult> {
    if (!isStoreKey(newKey)) {
      throw new SessionDataError("store keys are 43 characters of [A-Za-z0-9_-]");
    }
    if (!isStoreKey(oldKey)) return "missing";
    this.#checkStorable(session.data);
    const n = await this.#call("rotate", () =>
      this.#exec.run(this.#sql.rotate(oldKey, newKey, session, now)),
    );
    // The key always changes, so MySQL's "changed rows" count is exact here too.
    return n > 0 ? "ok" : "missing";
  }

  async patch(key: string, patch: SessionPatch, now: number): Promise<PatchResult> {
    if (!isStoreKey(key)) return "missing";
    if (isTouchOnly(patch)) {
      if (patch.touch) return this.#touch(key, patch.touch, now);
      // Nothing set or unset: the data cannot grow, so no size limit (SessionPatch.maxBytes).
      patch = { ...patch, maxBytes: Number.MAX_SAFE_INTEGER };
    }
    this.#checkStorable(patch.set);
    // The dialect's quick size check first (PostgreSQL's exact figure costs
    // its UPDATE about a third of its server time even when a short circuit
    // skips it, docs/benchmarks.md); the exact one only after a document near
    // its limit missed it.
    let check: PatchSizeCheck = this.#sql.quickPatchCheck ? "quick" : "exact";
    for (let attempt = 1; ; ) {
      const n = await this.#call("patch", () =>
        this.#exec.run(this.#sql.patch(key, patch, now, check)),
      );
      if (n > 0) return "ok";
      const rows = await this.#call("patch", () =>
        this.#exec.query(this.#sql.patchCheck(key, patch, now)),
      );
      if (rows.length === 0) return "missing";
      if (Number(rows[0]!.fits) !== 1) return "too_large";
      if (check === "quick") {
        check = "exact"; // it fits, but only by the exact figure: not an attempt
        continue;
      }
      // Alive and it fits now: a concurrent patch shrank the document between
      // our two statements, so apply ours again. (On MySQL without the
      // FOUND_ROWS flag a patch that changes nothing also reports 0 rows; it
      // ends here after the last attempt, correctly, as "ok".)
      if (attempt++ >= PATCH_ATTEMPTS) return "ok";
    }
  }

  async consumeField(key: string, field: string, value: string, now: number): Promise<boolean> {
    if (!isStoreKey(key)) return false;
    const n = await this.#call("consumeField", () =>
      this.#exec.run(this.#sql.consumeField(key, field, value, now)),
    );
    // The update always changes the row when it matches, so MySQL's "changed
    // rows" count (without FOUND_ROWS) is exact here too.
    return n > 0;
  }

  async destroy(key: string): Promise<void> {
    if (!isStoreKey(key)) return;
    await this.#call("destroy", () => this.#exec.run(this.#sql.destroy(key)));
  }

  async listByUser(userId: string, now: number): Promise<SessionSummary[]> {
    const rows = await this.#call("listByUser", () =>
      this.#exec.query(this.#sql.listByUser(userId, now)),
    );
    return rows.map(toSummary);
  }

  async stats(now: number): Promise<StoreStats> {
    const rows = await this.#call("stats", () => this.#exec.query(this.#sql.stats(now)));
    const row = rows[0] ?? {};
    // COUNT comes back as a string (pg bigint) or a number, depending on the driver.
    const n = (v: unknown) => Number(v ?? 0);
    const live = n(row.live);
    return { live, expired: n(row.total) - live, users: n(row.users) };
  }

  async destroyByUser(userId: string, exceptKey?: string): Promise<number> {
    return this.#call("destroyByUser", () =>
      this.#exec.run(this.#sql.destroyByUser(userId, exceptKey)),
    );
  }

  /**
   * Deletes rows expired at `now` in batches of `batchSize`, each one short
   * statement through the expiry index, until a batch comes back short or
   * `limit` is reached. Yields to the event loop between batches so that an
   * in-process purge (SQLite is synchronous) never starves requests.
   */
  async purgeExpired(now: number, options: PurgeOptions = {}): Promise<number> {
    const batchSize = options.batchSize ?? 1000;
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ConfigurationError(`purge batchSize must be a positive integer, not ${batchSize}`);
    }
    let removed = 0;
    while (removed < limit) {
      const size = Math.min(batchSize, limit - removed);
      const n = await this.#call("purgeExpired", () =>
        this.#exec.run(this.#sql.purgeBatch(now, size)),
      );
      removed += n;
      options.onProgress?.(removed);
      if (n < size) break;
      await nextTurn();
    }
    // Ended throttle windows: not sessions, so not counted in the result.
    await this.#call("purgeExpired", () =>
      purgeCounters(this.#exec, this.dialect.name, this.#names, now),
    );
    return removed;
  }

  async increment(name: string, by: number, ttlMs: number, now: number): Promise<number> {
    return this.#call("increment", () =>
      incrementCounter(this.#exec, this.dialect.name, this.#names, name, by, ttlMs, now),
    );
  }

  async resetCounter(name: string): Promise<void> {
    await this.#call("resetCounter", () =>
      resetCounter(this.#exec, this.dialect.name, this.#names, name),
    );
  }

  /**
   * Creates or upgrades the schema: applies the migrations not yet recorded,
   * under a lock, and says what it did with each. Idempotent.
   * @example
   * const results = await store.migrate();
   * // [{ version: 1, name: "create sessions table", status: "applied" }]
   */
  async migrate(): Promise<MigrationResult[]> {
    return this.#call("migrate", () => runMigrations(this.#exec, this.dialect, this.#names));
  }

  /**
   * Which migrations this table has and which are pending, without applying
   * anything (for `doctor`). A missing migrations table means none applied.
   */
  async migrationStatus(): Promise<{ version: number; name: string; applied: boolean }[]> {
    const ph = this.dialect.name === "postgres" ? "$1" : "?";
    let rows: Record<string, unknown>[] = [];
    try {
      rows = await this.#exec.query({
        sql: `SELECT version FROM ${this.#names.migrations} WHERE table_name = ${ph}`,
        params: [this.#names.raw],
      });
    } catch (err) {
      if (!isMissingTable(err)) throw err;
    }
    const done = new Set(rows.map((r) => Number(r.version)));
    return MIGRATIONS.map((m) => ({
      version: m.version,
      name: m.name,
      applied: done.has(m.version),
    }));
  }

  /** The database server's clock, ms since the epoch (for `doctor`'s clock-skew check). */
  async serverTime(): Promise<number> {
    const sql = {
      postgres: "SELECT (extract(epoch from clock_timestamp()) * 1000)::float8 AS t",
      mysql: "SELECT UNIX_TIMESTAMP(NOW(3)) * 1000 AS t",
      sqlite: "SELECT (julianday('now') - 2440587.5) * 86400000.0 AS t",
    }[this.dialect.name];
    const rows = await this.#call("serverTime", () => this.#exec.query({ sql, params: [] }));
    return Number(rows[0]?.t);
  }

  /** Ends the pool if the store opened it; a pool or database handle you passed in stays open. */
  async close(): Promise<void> {
    await this.#exec.close();
  }

  /** A patch with nothing but the touch: moves the deadlines without rewriting the document. */
  async #touch(
    key: string,
    touch: NonNullable<SessionPatch["touch"]>,
    now: number,
  ): Promise<PatchResult> {
    const n = await this.#call("patch", () =>
      this.#exec.run(this.#sql.touch(key, touch.lastSeenAt, touch.idleExpiresAt, now)),
    );
    if (n > 0) return "ok";
    // A dead row never comes back, so "alive now" can only mean the update
    // matched but changed nothing (MySQL without FOUND_ROWS counts changes).
    const rows = await this.#call("patch", () => this.#exec.query(this.#sql.alive(key, now)));
    return rows.length > 0 ? "ok" : "missing";
  }

  #call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    return guardStore(`${this.kind} session store: ${op} failed`, fn);
  }

  /** Refuses, before any SQL, data the database would reject or mangle (nothing is written). */
  #checkStorable(fields: Readonly<Record<string, string>>): void {
    const key = findUnstorable(fields, this.dialect.rejectsNul);
    if (key !== null) {
      throw new SessionDataError(
        `session key ${JSON.stringify(key)}: the ${this.kind} store cannot hold unpaired UTF-16 surrogates${this.dialect.rejectsNul ? " or U+0000" : ""}`,
      );
    }
  }

  #decode<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw new StoreUnavailableError(`${this.kind} session store: a stored row is corrupt`, {
        cause: err,
      });
    }
  }
}

/**
 * A SQL store on `executor`, migrated first when `migrate` is set. A failed
 * migration closes the store (and a pool it owns) before rejecting.
 */
export async function openSqlStore(
  executor: SqlExecutor,
  dialect: SqlDialect,
  options: SqlStoreOptions & { migrate: boolean },
): Promise<SqlStore> {
  const { migrate, ...storeOptions } = options;
  const store = new SqlStore(executor, dialect, storeOptions);
  if (migrate) {
    try {
      await store.migrate();
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  return store;
}

/**
 * "No such table" from any of the three drivers: PostgreSQL 42P01, MySQL
 * ER_NO_SUCH_TABLE, SQLite only by its message (better-sqlite3 gives the
 * generic SQLITE_ERROR code) — the one place that reads error text.
 */
function isMissingTable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; cause?: unknown };
  if (e?.cause !== undefined && isMissingTable(e.cause)) return true;
  return (
    e?.code === "42P01" ||
    e?.code === "ER_NO_SUCH_TABLE" ||
    /no such table/i.test(String(e?.message ?? ""))
  );
}
