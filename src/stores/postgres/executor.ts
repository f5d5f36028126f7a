/**
 * The node-postgres shim: each statement takes a client from
 * `pool.connect()` and runs on it; migrations keep one client for their
 * transaction. One deadline (`queryTimeout`) bounds the wait for a client
 * plus the query (one timer for both on a node-postgres pool; elsewhere the
 * query's `query_timeout` is what is left of it), so a user's pool
 * without timeouts, or a pool whose clients are all stuck on a stalled
 * server, is still bounded.
 *
 * Statements are sent as named prepared statements: PostgreSQL parses and
 * plans each one once per connection instead of on every call, which made a
 * session write (one UPDATE with jsonb operators and the size check) cost 0.37
 * ms instead of 0.62 ms on loopback and the bench's PostgreSQL write 1.7× as
 * fast. A pooler that moves statements between server connections
 * (PgBouncer in transaction mode before 1.21) loses them: the first such
 * error turns naming off for the store and the statement is sent again
 * unnamed (it was not executed). `prepare: false` turns it off from the start.
 */
import {
  acquireBefore,
  noConnectionWithin,
  PoolWaitTimeoutError,
  remaining,
} from "../sql/pool-deadline.js";
import type { SqlConnection, SqlExecutor, SqlQuery, SqlRow } from "../sql/types.js";

/** A query as node-postgres takes it. */
export interface PgQueryConfig {
  /** A named prepared statement: parsed once per connection. */
  name?: string;
  text: string;
  values?: unknown[];
  query_timeout?: number;
}

/** What the store reads of a node-postgres query result. */
export interface PgResult {
  rows: unknown[];
  rowCount: number | null;
}

/**
 * node-postgres's `Query` (a "submittable"): given to `client.query` as it
 * is, answered through its callback. Built from the text, not a config
 * object, so pg neither copies a config (`cloneQueryConfig`, a
 * `getOwnPropertyDescriptors` per call) nor wraps the call in two promises.
 */
export interface PgSubmittable {
  name?: string;
  callback?: (err: Error | null, result: PgResult) => void;
}

/** `pg.Query`: what `pool.Client.Query` is on a node-postgres pool. */
export type PgQueryClass = new (text: string, values: unknown[]) => PgSubmittable;

/** The subset of a `pg.Pool` the store needs: yours, or one it opens from a URL. */
export interface PgPool {
  query(config: PgQueryConfig): Promise<PgResult>;
  connect(): Promise<PgPoolClient>;
  end(): Promise<void>;
  /** pg-pool's "connect" event: a new client, before anyone can use it. */
  on?(event: "connect", listener: (client: PgPoolClient) => void): unknown;
  /** pg-pool: the client class, whose `Query` the executor submits when it has one. */
  readonly Client?: { readonly Query?: PgQueryClass };
}

/** The subset of a pooled `pg` client the store needs: every statement runs on one. */
export interface PgPoolClient {
  query(config: PgQueryConfig): Promise<PgResult>;
  query(submittable: PgSubmittable): unknown;
  /** With an error, node-postgres destroys the client instead of reusing it. */
  release(err?: Error | boolean): void;
  /** A checked-out pg client emits "error" when its connection dies; the store listens while it runs a statement. */
  once?(event: "error", listener: (err: Error) => void): unknown;
  on?(event: "error", listener: (err: Error) => void): unknown;
  removeListener?(event: "error", listener: (err: Error) => void): unknown;
}

/** pg-pool's callback form of `connect`, which a node-postgres pool has: no promise per statement. */
type ConnectCallback = (
  callback: (err: Error | undefined, client: PgPoolClient | undefined) => void,
) => void;

const MAX_ATTEMPTS = 5;

/** The statement is retried on another connection: its backend was ended before it completed. */
const isTerminated = (code: unknown) => code === "57P01" || code === "57P02";

/**
 * Statement text → its prepared statement's name, for the whole process: two
 * stores sharing one pool (one connection can serve both) must never give one
 * name to two texts. Bounded: statements whose text varies without end (none
 * today) run unnamed once it is full.
 */
const NAMES = new Map<string, string>();
const MAX_NAMES = 1000;

function statementName(text: string): string | undefined {
  let name = NAMES.get(text);
  if (name === undefined && NAMES.size < MAX_NAMES) {
    name = `cloakroom_${NAMES.size}`;
    NAMES.set(text, name);
  }
  return name;
}

/**
 * What a pooler that does not keep prepared statements per client answers:
 * 26000 (no such prepared statement), 42P05 (it already exists, made by
 * another client on that server connection). Both come before execution.
 */
const LOST_PREPARED = new Set(["26000", "42P05"]);

/** Clients that already carry the store's catch-all "error" listener. */
const guarded = new WeakSet<object>();

const rowsOf = (r: PgResult) => r.rows as SqlRow[];
const rowCountOf = (r: PgResult) => r.rowCount ?? 0;

/** Gives `client` (once) a listener that keeps its "error" events from being uncaught. */
function guard(client: PgPoolClient): void {
  if (client.on === undefined || guarded.has(client)) return;
  guarded.add(client);
  client.on("error", () => undefined);
}

export class PgExecutor implements SqlExecutor {
  readonly #pool: PgPool;
  readonly #owned: boolean;
  readonly #timeout: number | undefined;
  /** Named prepared statements: on until the server shows it cannot keep them. */
  #prepare: boolean;
  /** pg's Query class when the pool exposes it (node-postgres does); else config objects. */
  readonly #Query: PgQueryClass | undefined;

  constructor(pool: PgPool, owned: boolean, queryTimeout: number | undefined, prepare = true) {
    this.#pool = pool;
    this.#owned = owned;
    this.#timeout = queryTimeout;
    this.#prepare = prepare;
    const Query = pool.Client?.Query;
    this.#Query = typeof Query === "function" ? Query : undefined;
    // Every client gets its catch-all listener the moment the pool makes it.
    // Guarding it only once checked out leaves a gap: when the FATAL of a
    // terminated backend arrives in the same packet as the ReadyForQuery that
    // completes a new connection, pg emits "error" synchronously after pg-pool
    // removed its own listener and before the promise of `connect()` lets us
    // attach ours (an uncaught exception seen in CI under pg_terminate_backend).
    pool.on?.("connect", guard);
  }

  query(q: SqlQuery): Promise<SqlRow[]> {
    return this.#Query === undefined
      ? this.#send(q).then(rowsOf)
      : this.#submit(q, this.#Query, rowsOf);
  }

  run(q: SqlQuery): Promise<number> {
    return this.#Query === undefined
      ? this.#send(q).then(rowCountOf)
      : this.#submit(q, this.#Query, rowCountOf);
  }

  /**
   * A statement on a node-postgres pool, at the cost of one promise and one
   * timer: the pool's callback `connect`, pg's `Query` answered through its
   * callback, and one timer for the whole deadline (the pool wait and the
   * query together, where `acquireBefore` and pg's `query_timeout` would be
   * two). No "error" listener per statement either: a connected pg client
   * that emits "error" (or whose socket ends) also fails every query it holds
   * (`_errorAllQueries`), so the callback hears of it, and `guard` keeps the
   * event itself from being uncaught.
   *
   * Past the deadline the call fails; a client that arrives later goes
   * straight back unused, and one still running the statement is released
   * with the error, which makes pg-pool destroy it: the statement can never
   * complete late on a client someone else then uses. Retries (a terminated
   * backend, lost prepared statements) go as in {@link #send}, within the
   * same deadline.
   */
  #submit<T>(q: SqlQuery, Query: PgQueryClass, pick: (r: PgResult) => T): Promise<T> {
    const timeout = this.#timeout;
    const connect = this.#pool.connect as unknown as ConnectCallback;
    return new Promise<T>((resolve, reject) => {
      const deadline = timeout === undefined ? undefined : performance.now() + timeout;
      let attempt = 0;
      let client: PgPoolClient | undefined;
      let finished = false;
      const finish = (err: Error | null, result?: PgResult) => {
        finished = true;
        if (timer !== undefined) clearTimeout(timer);
        const held = client;
        client = undefined;
        held?.release(err ?? undefined);
        if (err === null) resolve(pick(result!));
        else reject(err);
      };
      const timer =
        timeout === undefined
          ? undefined
          : setTimeout(() => {
              if (finished) return;
              finish(
                client === undefined
                  ? noConnectionWithin(timeout)
                  : new PoolWaitTimeoutError(`no answer within ${timeout} ms`),
              );
            }, timeout);
      const failed = (err: Error) => {
        const held = client;
        client = undefined;
        held?.release(err); // a client that saw an error is never reused
        const code = (err as { code?: unknown }).code;
        if (this.#prepare && LOST_PREPARED.has(code as string)) {
          this.#prepare = false; // and send it again, unnamed: it was not executed
          start();
        } else if (
          attempt < MAX_ATTEMPTS &&
          isTerminated(code) &&
          (deadline === undefined || performance.now() < deadline)
        ) {
          start();
        } else {
          finish(err);
        }
      };
      const start = () => {
        const n = ++attempt;
        connect.call(this.#pool, (err, c) => {
          if (finished || n !== attempt) {
            c?.release(); // late: the caller was told already; back unused
            return;
          }
          if (err !== undefined || c === undefined) {
            failed(err ?? new Error("the pool gave no client"));
            return;
          }
          client = c;
          guard(c);
          const query = new Query(q.sql, q.params as unknown[]);
          const name = this.#prepare ? statementName(q.sql) : undefined;
          if (name !== undefined) query.name = name;
          query.callback = (qerr, result) => {
            if (finished || n !== attempt) return;
            if (qerr) failed(qerr);
            else finish(null, result);
          };
          try {
            void c.query(query); // a submittable: answered through its callback, not a promise
          } catch (qerr) {
            failed(qerr instanceof Error ? qerr : new Error(String(qerr)));
          }
        });
      };
      start();
    });
  }

  /**
   * One statement on a pool that is not node-postgres's (no `Client.Query`),
   * through its promise API, sent again on another pooled connection when the server
   * answers that it ended this connection's backend (57P01 admin_shutdown,
   * 57P02 crash_shutdown: pg_terminate_backend, a restart). The statement
   * did not complete — its FATAL came instead of CommandComplete, and a single
   * autocommit statement is atomic — so sending it again is safe. Idle pooled
   * connections killed together each fail this way once, so up to one try per
   * pooled connection, all within the one deadline; a server that is really
   * down fails differently (ECONNREFUSED) and is reported at once.
   */
  async #send(q: SqlQuery): Promise<PgResult> {
    const deadline = this.#timeout === undefined ? undefined : performance.now() + this.#timeout;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#once(q, deadline);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (this.#prepare && LOST_PREPARED.has(code as string)) {
          this.#prepare = false; // and send it again, unnamed: it was not executed
          continue;
        }
        if (attempt >= MAX_ATTEMPTS || !isTerminated(code)) throw err;
        if (deadline !== undefined && performance.now() >= deadline) throw err;
      }
    }
  }

  /** Takes a client (within the deadline), runs `q` on it with what is left, gives it back. */
  async #once(q: SqlQuery, deadline: number | undefined): Promise<PgResult> {
    const client =
      deadline === undefined
        ? await this.#pool.connect()
        : await acquireBefore(
            () => this.#pool.connect(),
            (c) => c.release(),
            deadline,
            this.#timeout!,
          );
    // As pg's own pool.query does: an "error" event on the checked-out client
    // (its backend terminated mid-query, its socket lost) fails the statement
    // and discards the client; unheard, it would be an uncaught exception.
    // A client that saw an error is never reused.
    return new Promise<PgResult>((resolve, reject) => {
      let released = false;
      const release = (err?: Error) => {
        if (released) return;
        released = true;
        client.removeListener?.("error", onError);
        client.release(err);
      };
      const onError = (err: Error) => {
        release(err);
        reject(err);
      };
      client.once?.("error", onError);
      // And for good: a client can still emit "error" after it was handed back
      // or while the pool checks it out (seen under pg_terminate_backend); pg-pool's
      // own listener removes it from the pool, this one keeps the error from
      // being uncaught. Once per client.
      guard(client);
      const done = (result: PgResult) => {
        release();
        resolve(result);
      };
      const fail = (err: unknown) => {
        release(err instanceof Error ? err : new Error(String(err)));
        reject(err);
      };
      client.query(this.#config(q, deadline)).then(done, fail);
    });
  }

  async exclusive<T>(fn: (conn: SqlConnection) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    // Its backend may be terminated while the migration holds it: the failing
    // query reports that; the event must not be an uncaught exception.
    guard(client);
    try {
      const result = await fn({
        // Unnamed: a migration's statements run once, and DDL is not for PREPARE.
        query: async (q) =>
          (await client.query(this.#config(q, undefined, false))).rows as SqlRow[],
        run: async (q) => (await client.query(this.#config(q, undefined, false))).rowCount ?? 0,
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

  #config(q: SqlQuery, deadline?: number, named = true): PgQueryConfig {
    const config: PgQueryConfig = { text: q.sql, values: [...q.params] };
    const name = named && this.#prepare ? statementName(q.sql) : undefined;
    if (name !== undefined) config.name = name;
    if (deadline !== undefined) config.query_timeout = remaining(deadline);
    else if (this.#timeout !== undefined) config.query_timeout = this.#timeout;
    return config;
  }
}
