/**
 * The better-sqlite3 shim. better-sqlite3 is synchronous, so one connection
 * serialises every statement of this process by construction: two patches
 * can never interleave inside one another. Across processes, WAL and
 * busy_timeout let writers queue instead of failing with SQLITE_BUSY.
 */
import { resolve } from "node:path";
import type { SqlConnection, SqlExecutor, SqlQuery, SqlRow } from "../sql/types.js";

/** The subset of a better-sqlite3 `Database` the store needs. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): unknown;
  readonly open: boolean;
  readonly memory: boolean;
  /** The file path, as opened. */
  readonly name: string;
}

/** The subset of a better-sqlite3 `Statement` the store needs. */
export interface SqliteStatement {
  readonly reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}

/** Prepared statements kept per SQL text; patch texts vary with the number of keys. */
const CACHE_SIZE = 256;

/**
 * Exclusive sections (a migration's transaction) per database file, shared by
 * every executor of this process. Without it, a second connection in the same
 * process would BEGIN IMMEDIATE while the first holds the write lock between
 * two awaits, and better-sqlite3's busy wait — synchronous — would block the
 * very event loop the first needs to COMMIT: a 5-second stall, then SQLITE_BUSY.
 */
const gates = new Map<string, Promise<void>>();

export class SqliteExecutor implements SqlExecutor {
  readonly #db: SqliteDatabase;
  readonly #owned: boolean;
  readonly #cache = new Map<string, SqliteStatement>();
  /** Key of this file in {@link gates}; an in-memory database is private to its handle. */
  readonly #file: string;

  constructor(db: SqliteDatabase, owned: boolean) {
    this.#db = db;
    this.#owned = owned;
    this.#file = db.memory ? `memory:${Math.random()}` : resolve(db.name);
  }

  // Each gate check is synchronous with the statement after it: no await in
  // between, so no exclusive section can begin in the gap.
  async query(q: SqlQuery): Promise<SqlRow[]> {
    for (let gate = gates.get(this.#file); gate; gate = gates.get(this.#file)) await gate;
    return this.#query(q);
  }

  async run(q: SqlQuery): Promise<number> {
    for (let gate = gates.get(this.#file); gate; gate = gates.get(this.#file)) await gate;
    return this.#run(q);
  }

  async exclusive<T>(fn: (conn: SqlConnection) => Promise<T>): Promise<T> {
    // Checked and taken with no await in between, or two callers could both pass.
    for (let gate = gates.get(this.#file); gate; gate = gates.get(this.#file)) await gate;
    let open!: () => void;
    gates.set(
      this.#file,
      new Promise((resolve) => {
        open = resolve;
      }),
    );
    try {
      return await fn({
        query: async (q) => this.#query(q),
        run: async (q) => this.#run(q),
      });
    } finally {
      gates.delete(this.#file);
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
