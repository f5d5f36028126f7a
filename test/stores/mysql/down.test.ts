/**
 * A lost connection fails the request fast with StoreUnavailableError, and
 * the pool recovers by itself. Only the test pool's own connections are
 * killed (their thread ids, collected from the pool's "connection" events);
 * the shared server keeps running.
 */

import { record, testKey } from "cloakroom-sessions/testing";
import mysql from "mysql2/promise";
import { afterAll, expect, it } from "vitest";
import { StoreUnavailableError } from "../../../src/core/errors.js";
import { createMysqlStore } from "../../../src/stores/mysql/index.js";
import { describeWithService } from "../../support/services.js";
import {
  dropTable,
  MYSQL_URL,
  mysqlAdmin,
  mysqlUnavailable,
  uniqueTable,
} from "../../support/sql.js";

describeWithService("mysql", mysqlUnavailable, "mysql store: connections lost", () => {
  const table = uniqueTable("crt_mydown");
  afterAll(() => dropTable("mysql", table));

  const outcome = (p: Promise<unknown>) =>
    p.then(
      () => "ok",
      (err) => {
        expect(err).toBeInstanceOf(StoreUnavailableError);
        return "unavailable";
      },
    );

  it("fails fast or reconnects after KILL of its connections, then serves again", async () => {
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
    try {
      const key = testKey();
      await store.create(key, record());
      await Promise.all(Array.from({ length: 4 }, () => store.get(key, Date.now())));
      expect(await kill()).toBeGreaterThan(0);

      const started = Date.now();
      await outcome(store.get(key, Date.now()));
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await store.get(key, Date.now())).not.toBeNull();

      const inFlight = Array.from({ length: 8 }, (_, i) =>
        outcome(
          store.patch(key, { set: { [`k${i}`]: "1" }, unset: [], maxBytes: 65536 }, Date.now()),
        ),
      );
      await kill();
      const results = await Promise.all(inFlight);
      const after = await store.get(key, Date.now());
      for (const [i, r] of results.entries())
        if (r === "ok") expect(after!.data[`k${i}`]).toBe("1");
      expect(
        await store.patch(key, { set: { again: "1" }, unset: [], maxBytes: 65536 }, Date.now()),
      ).toBe("ok");
    } finally {
      await store.close();
      await pool.end();
    }
  });
});
