/**
 * The node-postgres shim: statements go to `pool.query`, migrations get a
 * dedicated client from `pool.connect()`. Each query carries its own
 * `query_timeout`, so a user's pool without one is still bounded.
 */
import type { SqlConnection, SqlExecutor, SqlQuery, SqlRow } from "../sql/types.js";

/** A query as node-postgres takes it. */
export interface PgQueryConfig {
  text: string;
  values?: unknown[];
  query_timeout?: number;
}

interface PgResult {
  rows: unknown[];
  rowCount: number | null;
}

/** The subset of a `pg.Pool` the store needs: yours, or one it opens from a URL. */
export interface PgPool {
  query(config: PgQueryConfig): Promise<PgResult>;
  connect(): Promise<PgPoolClient>;
  end(): Promise<void>;
}

/** The subset of a pooled `pg` client the store needs (migrations). */
export interface PgPoolClient {
  query(config: PgQueryConfig): Promise<PgResult>;
  /** With an error, node-postgres destroys the client instead of reusing it. */
  release(err?: Error | boolean): void;
}

const MAX_ATTEMPTS = 5;

export class PgExecutor implements SqlExecutor {
  readonly #pool: PgPool;
  readonly #owned: boolean;
  readonly #timeout: number | undefined;

  constructor(pool: PgPool, owned: boolean, queryTimeout: number | undefined) {
    this.#pool = pool;
    this.#owned = owned;
    this.#timeout = queryTimeout;
  }

  async query(q: SqlQuery): Promise<SqlRow[]> {
    return (await this.#send(q)).rows as SqlRow[];
  }

  async run(q: SqlQuery): Promise<number> {
    return (await this.#send(q)).rowCount ?? 0;
  }

  /**
   * One statement, sent again on another pooled connection when the server
   * answers that it ended this connection's backend (57P01 admin_shutdown,
   * 57P02 crash_shutdown: pg_terminate_backend, a restart). The statement
   * did not complete — its FATAL came instead of CommandComplete, and a single
   * autocommit statement is atomic — so sending it again is safe. Idle pooled
   * connections killed together each fail this way once, so up to one try per
   * pooled connection; a server that is really down fails differently
   * (ECONNREFUSED) and is reported at once.
   */
  async #send(q: SqlQuery): Promise<PgResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#pool.query(this.#config(q));
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (attempt >= MAX_ATTEMPTS || (code !== "57P01" && code !== "57P02")) throw err;
      }
    }
  }

  async exclusive<T>(fn: (conn: SqlConnection) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      const result = await fn({
        query: async (q) => (await client.query(this.#config(q))).rows as SqlRow[],
        run: async (q) => (await client.query(this.#config(q))).rowCount ?? 0,
      });
      client.release();
      return result;
    } catch (err) {
      client.release(err instanceof Error ? err : true);
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#pool.end();
  }

  #config(q: SqlQuery): PgQueryConfig {
    const config: PgQueryConfig = { text: q.sql, values: [...q.params] };
    if (this.#timeout !== undefined) config.query_timeout = this.#timeout;
    return config;
  }
}
