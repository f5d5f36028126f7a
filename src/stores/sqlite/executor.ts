/**
 * The better-sqlite3 shim. better-sqlite3 is synchronous, so one connection
 * serialises every statement of this process by construction: two patches
 * can never interleave inside one another. Across processes, WAL and
 * busy_timeout let writers queue instead of failing with SQLITE_BUSY.
 */
import type { SqlConnection, SqlExecutor, SqlQuery, SqlRow } from "../sql/types.js";

/** The subset of a better-sqlite3 `Database` the store needs. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): unknown;
  readonly open: boolean;
  readonly memory: boolean;
}

/** The subset of a better-sqlite3 `Statement` the store needs. */
export interface SqliteStatement {
  readonly reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}

/** Prepared statements kept per SQL text; patch texts vary with the number of keys. */
const CACHE_SIZE = 256;

export class SqliteExecutor implements SqlExecutor {
  readonly #db: SqliteDatabase;
  readonly #owned: boolean;
  readonly #cache = new Map<string, SqliteStatement>();
  /** Set while `exclusive` runs: other callers wait, so nothing lands inside a migration's transaction. */
  #gate: Promise<void> | null = null;

  constructor(db: SqliteDatabase, owned: boolean) {
    this.#db = db;
    this.#owned = owned;
  }

  async query(q: SqlQuery): Promise<SqlRow[]> {
    while (this.#gate !== null) await this.#gate;
    return this.#query(q);
  }

  async run(q: SqlQuery): Promise<number> {
    while (this.#gate !== null) await this.#gate;
    return this.#run(q);
  }

  async exclusive<T>(fn: (conn: SqlConnection) => Promise<T>): Promise<T> {
    while (this.#gate !== null) await this.#gate;
    let open!: () => void;
    this.#gate = new Promise((resolve) => {
      open = resolve;
    });
    try {
      return await fn({
        query: async (q) => this.#query(q),
        run: async (q) => this.#run(q),
      });
    } finally {
      this.#gate = null;
      open();
    }
  }

  async close(): Promise<void> {
    this.#cache.clear();
    if (this.#owned && this.#db.open) this.#db.close();
  }

  #query(q: SqlQuery): SqlRow[] {
    const stmt = this.#prepare(q.sql);
    // BEGIN/COMMIT and DDL return no rows; better-sqlite3 refuses all() on them.
    if (!stmt.reader) {
      stmt.run(...q.params);
      return [];
    }
    return stmt.all(...q.params) as SqlRow[];
  }

  #run(q: SqlQuery): number {
    return this.#prepare(q.sql).run(...q.params).changes;
  }

  #prepare(sql: string): SqliteStatement {
    let stmt = this.#cache.get(sql);
    if (stmt) {
      this.#cache.delete(sql);
    } else {
      stmt = this.#db.prepare(sql);
      if (this.#cache.size >= CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
    }
    this.#cache.set(sql, stmt);
    return stmt;
  }
}
