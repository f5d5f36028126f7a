import { record, storeConformance, testKey } from "cloakroom-sessions/testing";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../../src/core/errors.js";
import { createStore } from "../../../src/stores/create-store.js";
import { createPostgresStore } from "../../../src/stores/postgres/index.js";
import { describeWithService } from "../../support/services.js";
import { dropTable, PG_URL, pgAdmin, pgUnavailable, uniqueTable } from "../../support/sql.js";

describeWithService("postgres", pgUnavailable, "postgres store", () => {
  const table = uniqueTable("crt_pg");
  afterAll(() => dropTable("postgres", table));

  storeConformance("postgres", {
    open: () => createPostgresStore({ url: PG_URL, table, migrate: true }),
  });

  it("stores data as JSONB with indexes on user id and expiry", async () => {
    const cols = await pgAdmin<{ column_name: string; data_type: string }>(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1",
      [table],
    );
    expect(cols.find((c) => c.column_name === "data")?.data_type).toBe("jsonb");
    expect(cols.find((c) => c.column_name === "idle_expires_at")?.data_type).toBe("bigint");
    const idx = await pgAdmin<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE tablename = $1",
      [table],
    );
    const defs = idx.map((i) => i.indexdef).join("\n");
    expect(defs).toMatch(/\(user_id\)/);
    expect(defs).toMatch(/\(idle_expires_at\)/);
  });

  it("takes the user's own pool and does not end it on close()", async () => {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    try {
      const store = await createPostgresStore({ pool, table });
      const key = testKey();
      await store.create(key, record());
      expect(await store.get(key, Date.now())).not.toBeNull();
      await store.close();
      expect((await pool.query("SELECT 1 AS one")).rows[0]).toEqual({ one: 1 });
    } finally {
      await pool.end();
    }
  });

  it("opens from a postgres:// URL with ?table=, leaving the rest to the driver", async () => {
    const store = await createStore(`${PG_URL}?table=${table}&application_name=cloakroom_url_test`);
    try {
      expect(store.kind).toBe("postgres");
      const key = testKey();
      await store.create(key, record());
      expect(await store.get(key, Date.now())).not.toBeNull();
    } finally {
      await store.close?.();
    }
  });
});

describe("postgres store without a server", () => {
  it("fails fast with StoreUnavailableError when nothing listens", async () => {
    // Port 1 on loopback: connection refused at once, no server needed.
    const store = await createPostgresStore({ url: "postgres://postgres@127.0.0.1:1/test" });
    const started = Date.now();
    await expect(store.get(testKey(), Date.now())).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(3000);
    await store.close();
  });
});
