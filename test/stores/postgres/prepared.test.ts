/**
 * Named prepared statements (src/stores/postgres/executor.ts): the store's
 * statements are prepared once per connection, and a connection that lost
 * them — what a pooler moving statements between server connections does,
 * forced here with `DEALLOCATE ALL` behind the client's back on a real
 * server — costs one retry, unnamed, never a failed call.
 */
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createPostgresStore } from "../../../src/stores/postgres/index.js";
import { record, testKey } from "../../../src/testing/store-suite.js";
import { describeWithService } from "../../support/services.js";
import { dropTable, PG_URL, pgUnavailable, uniqueTable } from "../../support/sql.js";

describeWithService("postgres", pgUnavailable, "postgres store: prepared statements", () => {
  const table = uniqueTable("crt_pgprep");
  const pools: pg.Pool[] = [];
  afterAll(() => dropTable("postgres", table));
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.end()));
  });

  /** One connection, so what the store prepared is what `pg_prepared_statements` shows. */
  const onePool = () => {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
    pools.push(pool);
    return pool;
  };
  const prepared = async (pool: pg.Pool) =>
    Number(
      (
        await pool.query(
          "SELECT count(*) AS n FROM pg_prepared_statements WHERE name LIKE 'cloakroom\\_%'",
        )
      ).rows[0].n,
    );

  describe("on by default", () => {
    it("prepares the store's statements once per connection", async () => {
      const pool = onePool();
      const store = await createPostgresStore({ pool, table, migrate: true });
      const key = testKey();
      await store.create(key, record({ userId: "prep" }));
      for (let i = 0; i < 5; i++) {
        expect(await store.get(key, Date.now())).not.toBeNull();
        expect(
          await store.patch(key, { set: { n: String(i) }, unset: [], maxBytes: 4096 }, Date.now()),
        ).toBe("ok");
      }
      // create, get and patch each once, however often they ran
      const n = await prepared(pool);
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThan(10);
      expect((await store.get(key, Date.now()))?.data.n).toBe("4");
    });

    it("goes on unnamed when the connection lost them (a pooler's doing), with no failed call", async () => {
      const pool = onePool();
      const store = await createPostgresStore({ pool, table, migrate: true });
      const key = testKey();
      await store.create(key, record({ userId: "prep" }));
      expect(await store.get(key, Date.now())).not.toBeNull();
      expect(await prepared(pool)).toBeGreaterThan(0);
      // The client still believes they exist; the server no longer has them.
      await pool.query("DEALLOCATE ALL");
      expect(await store.get(key, Date.now())).not.toBeNull();
      expect(
        await store.patch(key, { set: { after: "1" }, unset: [], maxBytes: 4096 }, Date.now()),
      ).toBe("ok");
      expect((await store.get(key, Date.now()))?.data.after).toBe("1");
      // From then on this store sends nothing named.
      expect(await prepared(pool)).toBe(0);
    });
  });

  it("prepare: false sends every statement unnamed", async () => {
    const pool = onePool();
    const store = await createPostgresStore({ pool, table, migrate: true, prepare: false });
    const key = testKey();
    await store.create(key, record({ userId: "prep" }));
    expect(await store.get(key, Date.now())).not.toBeNull();
    expect(await prepared(pool)).toBe(0);
  });
});
