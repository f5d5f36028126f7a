import { record, storeConformance, testKey } from "cloakroom-sessions/testing";
import mysql from "mysql2/promise";
import { afterAll, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../../src/core/errors.js";
import { createStore } from "../../../src/stores/create-store.js";
import { createMysqlStore } from "../../../src/stores/mysql/index.js";
import { describeWithService } from "../../support/services.js";
import {
  dropTable,
  MYSQL_URL,
  mysqlAdmin,
  mysqlUnavailable,
  uniqueTable,
} from "../../support/sql.js";

describeWithService("mysql", mysqlUnavailable, "mysql store", () => {
  const table = uniqueTable("crt_my");
  afterAll(() => dropTable("mysql", table));

  storeConformance("mysql", {
    open: () => createMysqlStore({ url: MYSQL_URL, table, migrate: true }),
  });

  it("keys compare byte for byte: another case or a trailing space finds nothing", async () => {
    const store = await createMysqlStore({ url: MYSQL_URL, table });
    try {
      const key = testKey();
      await store.create(key, record());
      expect(await store.get(key.toUpperCase(), Date.now())).toBeNull();
      expect(await store.get(`${key} `, Date.now())).toBeNull();
      expect(await store.get(key, Date.now())).not.toBeNull();
    } finally {
      await store.close();
    }
  });

  it("round-trips 4-byte UTF-8 in data, user id and user agent (utf8mb4)", async () => {
    const store = await createMysqlStore({ url: MYSQL_URL, table });
    try {
      const key = testKey();
      const r = record({ userId: "üser-😀", userAgent: "Bröwser 🦊", data: { "é😀": '"🍕 ✓"' } });
      await store.create(key, r);
      expect(await store.get(key, Date.now())).toEqual(r);
    } finally {
      await store.close();
    }
  });

  it("indexes user id and expiry", async () => {
    const idx = await mysqlAdmin<{ Column_name: string }>(`SHOW INDEX FROM \`${table}\``);
    const cols = idx.map((i) => i.Column_name);
    expect(cols).toEqual(expect.arrayContaining(["token_hash", "user_id", "idle_expires_at"]));
  });

  it("takes the user's own pool (promise or callback API) and does not end it on close()", async () => {
    const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 });
    try {
      for (const given of [pool, pool.pool]) {
        const store = await createMysqlStore({ pool: given, table });
        const key = testKey();
        await store.create(key, record());
        expect(await store.get(key, Date.now())).not.toBeNull();
        await store.close();
      }
      const [rows] = await pool.query("SELECT 1 AS one");
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it("opens from mysql:// and mariadb:// URLs with ?table=", async () => {
    for (const url of [MYSQL_URL, MYSQL_URL.replace(/^mysql:/, "mariadb:")]) {
      const store = await createStore(`${url}?table=${table}`);
      try {
        expect(store.kind).toBe("mysql");
        const key = testKey();
        await store.create(key, record());
        expect(await store.get(key, Date.now())).not.toBeNull();
      } finally {
        await store.close?.();
      }
    }
  });
});

describe("mysql store without a server", () => {
  it("fails fast with StoreUnavailableError when nothing listens", async () => {
    const store = await createMysqlStore({ url: "mysql://root@127.0.0.1:1/test" });
    const started = Date.now();
    await expect(store.get(testKey(), Date.now())).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(3000);
    await store.close();
  });
});
