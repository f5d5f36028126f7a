/**
 * Reads are one query and writes one statement: the executor is wrapped to
 * count and record what each store method sends. A patch is a single
 * UPDATE — no transaction, no lock, no read first — so two requests never
 * hold anything across a round trip; only a refused or missed patch costs a
 * second, read-only look.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { record, testKey, testUser, touchOnly } from "cloakroom-sessions/testing";
import mysql from "mysql2/promise";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MysqlExecutor } from "../../../src/stores/mysql/executor.js";
import { PgExecutor } from "../../../src/stores/postgres/executor.js";
import { DIALECTS } from "../../../src/stores/sql/migrations.js";
import { SqlStore } from "../../../src/stores/sql/sql-store.js";
import type { SqlExecutor, SqlQuery } from "../../../src/stores/sql/types.js";
import { SqliteExecutor } from "../../../src/stores/sqlite/executor.js";
import { describeWithService } from "../../support/services.js";
import { dropTable, MYSQL_URL, PG_URL, unavailableOf, uniqueTable } from "../../support/sql.js";

const dir = mkdtempSync(join(tmpdir(), "cloakroom-onestmt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Counted extends SqlExecutor {
  sent: { kind: "query" | "run"; sql: string }[];
}

function counting(inner: SqlExecutor): Counted {
  const sent: Counted["sent"] = [];
  return {
    sent,
    query: (q: SqlQuery) => {
      sent.push({ kind: "query", sql: q.sql });
      return inner.query(q);
    },
    run: (q: SqlQuery) => {
      sent.push({ kind: "run", sql: q.sql });
      return inner.run(q);
    },
    exclusive: (fn) => inner.exclusive(fn),
    close: () => inner.close(),
  };
}

for (const d of ["sqlite", "postgres", "mysql"] as const) {
  describeWithService(d, unavailableOf(d), `${d}: one statement per operation`, () => {
    const table = uniqueTable(`crt_one_${d}`);
    let exec: Counted;
    let store: SqlStore;
    beforeAll(async () => {
      const inner =
        d === "sqlite"
          ? new SqliteExecutor(new Database(join(dir, "one.db")), true)
          : d === "postgres"
            ? new PgExecutor(new pg.Pool({ connectionString: PG_URL, max: 2 }), true, 5000)
            : new MysqlExecutor(
                mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 }),
                true,
                5000,
              );
      exec = counting(inner);
      store = new SqlStore(exec, DIALECTS[d], { table });
      await store.migrate();
    });
    afterAll(async () => {
      await store?.close();
      if (d !== "sqlite") await dropTable(d, table);
    });

    /** What `fn` sent, as "query"/"run" kinds, plus the statements. */
    async function sent(fn: () => Promise<unknown>) {
      exec.sent.length = 0;
      await fn();
      return { kinds: exec.sent.map((s) => s.kind), sql: exec.sent.map((s) => s.sql) };
    }

    it("create, get, touch, destroy, list and revoke: one statement each", async () => {
      const key = testKey();
      const userId = testUser();
      expect((await sent(() => store.create(key, record({ userId })))).kinds).toEqual(["run"]);
      expect((await sent(() => store.get(key, Date.now()))).kinds).toEqual(["query"]);
      const now = Date.now();
      expect((await sent(() => store.patch(key, touchOnly(now, now + 60_000), now))).kinds).toEqual(
        ["run"],
      );
      expect((await sent(() => store.listByUser(userId, Date.now()))).kinds).toEqual(["query"]);
      expect((await sent(() => store.destroyByUser(userId, key))).kinds).toEqual(["run"]);
      expect((await sent(() => store.destroy(key))).kinds).toEqual(["run"]);
    });

    it("a patch (set, unset, touch, size limit) is one UPDATE with no lock and no read", async () => {
      const key = testKey();
      await store.create(key, record({ data: { a: "1", b: "2" } }));
      const now = Date.now();
      const { kinds, sql } = await sent(() =>
        store.patch(
          key,
          {
            set: { c: "3", a: '"x"' },
            unset: ["b"],
            touch: { lastSeenAt: now, idleExpiresAt: now + 60_000 },
            maxBytes: 65536,
          },
          now,
        ),
      );
      expect(kinds).toEqual(["run"]);
      expect(sql[0]).toMatch(/^UPDATE /);
      expect(sql[0]).not.toMatch(/\b(BEGIN|LOCK|FOR UPDATE|SELECT \* )\b/i);
      expect((await store.get(key, Date.now()))!.data).toEqual({ a: '"x"', c: "3" });
    });

    it("only a refused or missed patch costs a second, read-only statement", async () => {
      const key = testKey();
      await store.create(key, record({ data: { a: "1" } }));
      const big = { big: JSON.stringify("x".repeat(2000)) };
      let r: unknown;
      const tooLarge = await sent(async () => {
        r = await store.patch(key, { set: big, unset: [], maxBytes: 1000 }, Date.now());
      });
      expect(r).toBe("too_large");
      expect(tooLarge.kinds).toEqual(["run", "query"]);
      expect(tooLarge.sql[1]).toMatch(/^SELECT /);
      const missing = await sent(async () => {
        r = await store.patch(
          testKey(),
          { set: { a: "2" }, unset: [], maxBytes: 1000 },
          Date.now(),
        );
      });
      expect(r).toBe("missing");
      expect(missing.kinds).toEqual(["run", "query"]);
    });
  });
}
