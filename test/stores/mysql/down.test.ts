/**
 * A lost connection fails the request fast with StoreUnavailableError, and
 * the pool recovers by itself (test/support/store-outage.ts). Only the test
 * pool's own connections are killed (their thread ids, collected from the
 * pool's "connection" events); the shared server keeps running.
 */
import mysql from "mysql2/promise";
import { afterAll } from "vitest";
import { createMysqlStore } from "../../../src/stores/mysql/index.js";
import { describeWithService } from "../../support/services.js";
import {
  dropTable,
  MYSQL_URL,
  mysqlAdmin,
  mysqlUnavailable,
  uniqueTable,
} from "../../support/sql.js";
import { storeOutage } from "../../support/store-outage.js";

describeWithService("mysql", mysqlUnavailable, "mysql store: connections lost", () => {
  const table = uniqueTable("crt_mydown");
  afterAll(() => dropTable("mysql", table));

  storeOutage({
    how: "KILL",
    open: async () => {
      const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 4 });
      const threads = new Set<number>();
      pool.pool.on("connection", (c: { threadId: number }) => threads.add(c.threadId));
      const kill = async () => {
        const ids = [...threads];
        threads.clear();
        for (const id of ids)
          await mysqlAdmin(`KILL ${Number(id)}`).catch((err: { code?: string }) => {
            // A connection the pool already closed is no longer there to kill.
            if (err.code !== "ER_NO_SUCH_THREAD") throw err;
          });
        return ids.length;
      };
      const store = await createMysqlStore({ pool, table, migrate: true });
      const close = async () => {
        await store.close();
        await pool.end();
      };
      return { store, kill, close };
    },
  });
});
