/**
 * The mysql2 shim (MySQL 8, MariaDB 10.11). Each statement takes a pooled
 * connection and goes through `query` (client-side binding, so `LIMIT ?`
 * takes a number); one deadline (`queryTimeout`) bounds the wait for the
 * connection plus the query (its `timeout` is what is left). Migrations get
 * a dedicated connection for GET_LOCK.
 */

import type { MysqlServerInfo } from "../sql/dialects/mysql.js";
import { acquireBefore, PoolWaitTimeoutError, remaining } from "../sql/pool-deadline.js";
import type { SqlConnection, SqlExecutor, SqlQuery, SqlRow } from "../sql/types.js";

/** A statement as mysql2 takes it. */
export interface MysqlQueryOptions {
  sql: string;
  /** Client-side inactivity deadline, ms; on expiry mysql2 destroys the connection. */
  timeout?: number;
}

/** The subset of a `mysql2/promise` pool (or pool connection) the store needs. */
export interface MysqlQueryable {
  query(options: MysqlQueryOptions, values?: unknown[]): Promise<[unknown, unknown]>;
}

/** The subset of a `mysql2/promise` Pool the store needs: yours, or one it opens from a URL. */
export interface MysqlPool extends MysqlQueryable {
  getConnection(): Promise<MysqlPoolConnection>;
  end(): Promise<void>;
}

export interface MysqlPoolConnection extends MysqlQueryable {
  release(): void;
  destroy(): void;
}

export class MysqlExecutor implements SqlExecutor {
  readonly #pool: MysqlPool;
  readonly #owned: boolean;
  readonly #timeout: number | undefined;
  /** Which server answers; the dialect's size check reads it (MariaDB's is exact). */
  readonly server: Mutable<MysqlServerInfo> = { mariadb: undefined };
  #identifying: Promise<void> | undefined;

  constructor(pool: MysqlPool, owned: boolean, queryTimeout: number | undefined) {
    this.#pool = pool;
    this.#owned = owned;
    this.#timeout = queryTimeout;
  }

  /**
   * Asks the server for its version, once. A server that cannot answer now
   * (down at start-up) is asked again after the next statement that succeeds;
   * until then the size check is the one valid on both servers.
   */
  identifyServer(): Promise<void> {
    if (this.server.mariadb !== undefined) return Promise.resolve();
    this.#identifying ??= this.#pooled(VERSION_QUERY, rows).then(
      (r) => {
        this.server.mariadb = /mariadb/i.test(String(r[0]?.version ?? ""));
      },
      () => {
        this.#identifying = undefined;
      },
    );
    return this.#identifying;
  }

  async query(q: SqlQuery): Promise<SqlRow[]> {
    const result = await this.#pooled(q, rows);
    if (this.server.mariadb === undefined) void this.identifyServer();
    return result;
  }

  async run(q: SqlQuery): Promise<number> {
    const result = await this.#pooled(q, affected);
    if (this.server.mariadb === undefined) void this.identifyServer();
    return result;
  }

  async exclusive<T>(fn: (conn: SqlConnection) => Promise<T>): Promise<T> {
    const conn = await this.#pool.getConnection();
    try {
      const result = await fn({
        query: (q) => rows(conn, this.#options(q), q),
        run: (q) => affected(conn, this.#options(q), q),
      });
      conn.release();
      return result;
    } catch (err) {
      // Its session state (a held GET_LOCK, a half-run statement) is unknown: never reuse it.
      conn.destroy();
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#pool.end();
  }

  /**
   * `q` on a pooled connection, retried after a deadlock, the pool wait and
   * every attempt within one deadline. The connection goes back to the pool
   * as mysql2's own `pool.query` would give it back.
   */
  async #pooled<T>(
    q: SqlQuery,
    send: (on: MysqlQueryable, options: MysqlQueryOptions, q: SqlQuery) => Promise<T>,
  ): Promise<T> {
    const deadline = this.#timeout === undefined ? undefined : performance.now() + this.#timeout;
    return retryDeadlock(deadline, async () => {
      const conn =
        deadline === undefined
          ? await this.#pool.getConnection()
          : await acquireBefore(
              () => this.#pool.getConnection(),
              (c) => c.release(),
              deadline,
              this.#timeout!,
            );
      try {
        const sent = send(conn, this.#options(q, deadline), q);
        const result =
          deadline === undefined ? await sent : await this.#within(sent, conn, deadline);
        conn.release();
        return result;
      } catch (err) {
        // A read-only server (a failover in progress) is not asked again on this connection.
        if (isReadOnly(err)) conn.destroy();
        else conn.release();
        throw err;
      }
    });
  }

  /**
   * mysql2's per-query `timeout` has been seen not to fire on a connection
   * stalled mid-handshake or mid-reset (a call hung 30 s with a 1 s deadline),
   * so the deadline is also kept here: past it the connection is destroyed —
   * the statement can never complete late on it — and the call fails.
   */
  #within<T>(sent: Promise<T>, conn: MysqlPoolConnection, deadline: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          conn.destroy();
          reject(new PoolWaitTimeoutError(`no answer within ${this.#timeout} ms`));
        },
        // A little past the driver's own timeout, which normally answers first.
        remaining(deadline) + 50,
      );
      sent.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  #options(q: SqlQuery, deadline?: number): MysqlQueryOptions {
    if (deadline !== undefined) return { sql: q.sql, timeout: remaining(deadline) };
    return this.#timeout === undefined ? { sql: q.sql } : { sql: q.sql, timeout: this.#timeout };
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const VERSION_QUERY: SqlQuery = { sql: "SELECT VERSION() AS version", params: [] };

const DEADLOCK_ATTEMPTS = 3;

/**
 * One autocommit statement, sent again when InnoDB chose it as a deadlock
 * victim (ER_LOCK_DEADLOCK, 1213): "log out everywhere" (DELETE … WHERE
 * user_id) racing a login or a logout of the same user can deadlock on the
 * secondary index. InnoDB rolled the statement back entirely, so sending it
 * again is safe, and it is what the server's message asks for. Not inside
 * `exclusive`: there a deadlock rolls back the whole transaction.
 */
async function retryDeadlock<T>(deadline: number | undefined, send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (attempt >= DEADLOCK_ATTEMPTS || (err as { errno?: unknown }).errno !== 1213) throw err;
      if (deadline !== undefined && performance.now() >= deadline) throw err;
    }
  }
}

/** ER_OPTION_PREVENTS_STATEMENT (1290), ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION (1792), ER_READ_ONLY_MODE (1836): as mysql2's pool.query. */
function isReadOnly(err: unknown): boolean {
  const errno = (err as { errno?: unknown } | null)?.errno;
  return errno === 1290 || errno === 1792 || errno === 1836;
}

async function rows(on: MysqlQueryable, options: MysqlQueryOptions, q: SqlQuery) {
  const [result] = await on.query(options, [...q.params]);
  return Array.isArray(result) ? (result as SqlRow[]) : [];
}

async function affected(on: MysqlQueryable, options: MysqlQueryOptions, q: SqlQuery) {
  const [result] = await on.query(options, [...q.params]);
  // mysql2 connects with CLIENT_FOUND_ROWS by default: rows matched, not rows changed.
  return Number((result as { affectedRows?: number }).affectedRows ?? 0);
}
