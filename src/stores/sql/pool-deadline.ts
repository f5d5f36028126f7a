/**
 * One deadline for a whole statement: waiting for a pooled connection plus
 * running on it. A driver's per-query timeout starts only once the query has
 * a connection, so with every pooled connection busy on a stalled server a
 * call would otherwise wait in the pool's queue without any bound (mysql2's
 * queue has none; pg's is bounded by `connectionTimeoutMillis` only, a
 * second, separate budget).
 */

/** What a pool wait past the deadline rejects with (the store maps it to StoreUnavailableError). */
export class PoolWaitTimeoutError extends Error {
  readonly code = "POOL_WAIT_TIMEOUT";
}

/** The error of a statement that got no pooled connection within `timeout` ms. */
export function noConnectionWithin(timeout: number): PoolWaitTimeoutError {
  return new PoolWaitTimeoutError(
    `no pooled connection within ${timeout} ms (every connection busy: the server is stalled or overloaded)`,
  );
}

/** Milliseconds left before `deadline` (a `performance.now()` time), at least 1. */
export function remaining(deadline: number): number {
  return Math.max(1, Math.ceil(deadline - performance.now()));
}

/**
 * Resolves to a connection from `acquire`, or rejects with
 * {@link PoolWaitTimeoutError} once `deadline` (a `performance.now()` time)
 * passes. A connection that arrives after that is handed straight back with
 * `giveBack`, unused: the caller was already told the statement failed, so
 * it must never run late (a late write could land after the user's next,
 * acknowledged one).
 */
export function acquireBefore<C>(
  acquire: () => Promise<C>,
  giveBack: (conn: C) => void,
  deadline: number,
  timeout: number,
): Promise<C> {
  return new Promise<C>((resolve, reject) => {
    let expired = false;
    const timer = setTimeout(
      () => {
        expired = true;
        reject(noConnectionWithin(timeout));
      },
      Math.max(0, deadline - performance.now()),
    );
    acquire().then(
      (conn) => {
        if (expired) {
          giveBack(conn);
          return;
        }
        clearTimeout(timer);
        resolve(conn);
      },
      (err: unknown) => {
        if (expired) return;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
