/**
 * A pg client's "error" event is never uncaught. The gap this closes: when
 * a terminated backend's FATAL arrives in the same packet as the
 * ReadyForQuery that completes a new connection, pg emits "error"
 * synchronously after pg-pool has removed its idle listener and before the
 * promise of `pool.connect()` lets the store attach its own. The test forces
 * exactly that interleaving on a real server: pg-pool emits "acquire" in that
 * same synchronous step, and a `process.nextTick` from there runs before any
 * promise continuation.
 */
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { createPostgresStore } from "../../../src/stores/postgres/index.js";
import { record, testKey } from "../../../src/testing/store-suite.js";
import { describeWithService } from "../../support/services.js";
import { dropTable, PG_URL, pgUnavailable, uniqueTable } from "../../support/sql.js";

describeWithService("postgres", pgUnavailable, "postgres store: client error events", () => {
  const table = uniqueTable("crt_pgerr");
  afterAll(() => dropTable("postgres", table));

  it("has a listener on every new client before the store can attach its own", async () => {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    const listenersInTheGap: number[] = [];
    try {
      pool.on("acquire", (client) => {
        process.nextTick(() => {
          listenersInTheGap.push(client.listenerCount("error"));
          // What pg does with a FATAL in that gap; with no listener, an uncaught exception.
          if (client.listenerCount("error") > 0) client.emit("error", new Error("57P01 (forced)"));
        });
      });
      // Its migration takes the pool's first client; two creates at once, a second.
      const store = await createPostgresStore({ pool, table, migrate: true });
      const keys = [testKey(), testKey()];
      await Promise.all(keys.map((key) => store.create(key, record())));
      const key = keys[0]!;
      expect(await store.get(key, Date.now())).not.toBeNull();
      expect(pool.totalCount).toBe(2);
      expect(listenersInTheGap.length).toBeGreaterThanOrEqual(3);
      expect(Math.min(...listenersInTheGap)).toBeGreaterThan(0);
    } finally {
      await pool.end();
    }
  });
});
