/**
 * A stalled SQL server with every pooled connection busy: the store's
 * `queryTimeout` bounds the whole call — the wait for a pooled connection
 * plus the statement — so each call fails fast with StoreUnavailableError
 * instead of queueing behind the stuck ones. The stall is a TCP proxy in
 * front of the shared server that stops forwarding (the shared server itself
 * is never stopped). The pool's own connect deadline is set far longer than
 * the query deadline, so only the store's deadline can answer in time.
 *
 * And a call that gave up while waiting must never run late: once the stall
 * heals, the connections it was waiting for are given back unused, so at
 * most the statements already sent (one per pooled connection) may have
 * reached the server.
 */
import { record, testKey } from "cloakroom-sessions/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/core/errors.js";
import { createMysqlStore } from "../../src/stores/mysql/index.js";
import { createPostgresStore } from "../../src/stores/postgres/index.js";
import type { SqlStore } from "../../src/stores/sql/sql-store.js";
import { describeWithService } from "../support/services.js";
import {
  dropTable,
  MYSQL_URL,
  mysqlUnavailable,
  PG_URL,
  pgUnavailable,
  uniqueTable,
} from "../support/sql.js";
import { FaultProxy } from "./support/proxy.js";
import { until } from "./support/scenario.js";

const QUERY_TIMEOUT = 1000;
/** Far past the bound below: a call answered in time was answered by the store's deadline. */
const CONNECT_TIMEOUT = 10_000;
const POOL = 2;
const CALLS = 10;
/**
 * Each call must fail within this. The deadline is one QUERY_TIMEOUT; the
 * rest is room for a loaded machine (timers fire late). Without the store's
 * deadline, calls queued behind the stuck ones wait for a new connection
 * through the stall: CONNECT_TIMEOUT, 10 s.
 */
const BOUND = 2 * QUERY_TIMEOUT + 1500;

const DIALECTS = [
  {
    name: "postgres" as const,
    unavailable: pgUnavailable,
    url: PG_URL,
    open: (url: string, table: string) =>
      createPostgresStore({
        url,
        table,
        migrate: true,
        queryTimeout: QUERY_TIMEOUT,
        connectTimeout: CONNECT_TIMEOUT,
        max: POOL,
      }),
  },
  {
    name: "mysql" as const,
    unavailable: mysqlUnavailable,
    url: MYSQL_URL,
    open: (url: string, table: string) =>
      createMysqlStore({
        url,
        table,
        migrate: true,
        queryTimeout: QUERY_TIMEOUT,
        connectTimeout: CONNECT_TIMEOUT,
        max: POOL,
      }),
  },
];

for (const d of DIALECTS) {
  describeWithService(d.name, d.unavailable, `${d.name}: a stalled server`, () => {
    const table = uniqueTable(`crt_stall_${d.name}`);
    let proxy: FaultProxy;
    let store: SqlStore;

    beforeAll(async () => {
      const target = new URL(d.url);
      proxy = await FaultProxy.start({ host: target.hostname, port: Number(target.port) });
      target.port = String(proxy.port);
      store = await d.open(target.toString(), table);
    });
    afterAll(async () => {
      proxy?.set({ kind: "pass" });
      await store?.close();
      await proxy?.close();
      await dropTable(d.name, table);
    });

    it(`fails every call within ${BOUND} ms when all ${POOL} pooled connections are stuck, and none runs late`, async () => {
      // Fill the pool: POOL connections open and idle.
      await Promise.all(Array.from({ length: POOL * 2 }, () => store.get(testKey(), Date.now())));

      proxy.set({ kind: "hold" });
      const keys = Array.from({ length: CALLS }, () => testKey());
      const outcomes = await Promise.all(
        keys.map(async (key) => {
          const started = performance.now();
          const err = await store.create(key, record({ userId: "stall" })).then(
            () => null,
            (e: unknown) => e,
          );
          return { err, ms: Math.round(performance.now() - started) };
        }),
      );
      const slowest = Math.max(...outcomes.map((o) => o.ms));
      console.log(
        `${d.name} stalled: ${CALLS} calls on a pool of ${POOL}, failed after ${outcomes
          .map((o) => o.ms)
          .sort((a, b) => a - b)
          .join(", ")} ms (deadline ${QUERY_TIMEOUT} ms)`,
      );
      for (const o of outcomes) expect(o.err).toBeInstanceOf(StoreUnavailableError);
      expect(slowest).toBeLessThan(BOUND);

      // Heal. A call queued now is served after every earlier waiter (the
      // pools are FIFO), so once it succeeds every late connection has been
      // handed out, and given back unused.
      proxy.set({ kind: "pass" });
      await until(`${d.name} answers after the stall`, 30_000, async () => {
        await store.get(testKey(), Date.now());
        return true;
      });
      let landed = 0;
      for (const key of keys) if ((await store.get(key, Date.now())) !== null) landed++;
      console.log(`${d.name} stalled: ${landed} of ${CALLS} failed writes reached the server`);
      expect(landed).toBeLessThanOrEqual(POOL);
    });
  });
}
