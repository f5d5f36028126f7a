/**
 * `consumeField`, the compare-and-delete behind single-use WebAuthn
 * challenges, on every backend. The race tests force the bad interleaving:
 * every contender has READ the session and seen the field before any of them
 * asks to consume it (a barrier), and on PostgreSQL and MySQL the row is
 * additionally held locked by a third connection until every UPDATE has been
 * sent, so all of them start while the field is present. Exactly one wins.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { record, testKey } from "cloakroom-sessions/testing";
import mysql from "mysql2/promise";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionStore } from "../../src/core/store.js";
import { createStore } from "../../src/stores/create-store.js";
import { createFileStore } from "../../src/stores/file/index.js";
import { createMemoryStore } from "../../src/stores/memory/index.js";
import { createMysqlStore } from "../../src/stores/mysql/index.js";
import { createPostgresStore } from "../../src/stores/postgres/index.js";
import { createSqliteStore } from "../../src/stores/sqlite/index.js";
import { createTieredStore } from "../../src/stores/tiered/index.js";
import { describeWithService, probe, redisUnavailable, SERVICE_URLS } from "../support/services.js";
import {
  dropTable,
  MYSQL_URL,
  mysqlUnavailable,
  PG_URL,
  pgUnavailable,
  uniqueTable,
} from "../support/sql.js";

const FIELD = "$webauthn";
const VALUE = "challenge-1.register.abc";
const CONTENDERS = 6;
const ROUNDS = 5;

interface Backend {
  /** Stores that share one backend, as separate servers would (one instance for memory). */
  open(): Promise<SessionStore[]>;
  /**
   * Holds the row of `key` locked from a third connection; the returned
   * function releases it. Only where the database has row locks.
   */
  hold?(key: string): Promise<() => Promise<void>>;
}

/** Resolves when `n` callers have arrived. */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  return () => {
    arrived++;
    if (arrived === n) open();
    return gate;
  };
}

function consumeSuite(name: string, backend: Backend): void {
  describe(`consumeField: ${name}`, () => {
    let stores: SessionStore[];
    beforeAll(async () => {
      stores = await backend.open();
      for (const s of stores) await s.migrate?.();
    });
    afterAll(async () => {
      for (const s of stores) await s.close?.();
    });
    const now = () => Date.now();
    const withField = (extra: Record<string, string> = {}) =>
      record({ data: { cart: "[1,2]", [FIELD]: JSON.stringify(VALUE), ...extra } });

    it("removes the field when it holds the value, once; other fields stay", async () => {
      const store = stores[0]!;
      const key = testKey();
      await store.create(key, withField());
      expect(await store.consumeField!(key, FIELD, VALUE, now())).toBe(true);
      expect(await store.consumeField!(key, FIELD, VALUE, now())).toBe(false);
      const after = await store.get(key, now());
      expect(after?.data[FIELD]).toBeUndefined();
      expect(after?.data.cart).toBe("[1,2]");
    });

    it("refuses another value, a non-string, a missing field and a dead session", async () => {
      const store = stores[0]!;
      const key = testKey();
      await store.create(key, withField({ num: "42" }));
      expect(await store.consumeField!(key, FIELD, `${VALUE}x`, now())).toBe(false);
      expect(await store.consumeField!(key, FIELD, VALUE.slice(0, -1), now())).toBe(false);
      expect(await store.consumeField!(key, "num", "42", now())).toBe(false);
      expect(await store.consumeField!(key, "absent", VALUE, now())).toBe(false);
      expect((await store.get(key, now()))?.data[FIELD]).toBe(JSON.stringify(VALUE));
      // Past the idle deadline: refused, and the field is not consumed.
      const late = Date.now() + 31 * 60_000;
      expect(await store.consumeField!(key, FIELD, VALUE, late)).toBe(false);
      expect(await store.consumeField!(testKey(), FIELD, VALUE, now())).toBe(false);
      await store.destroy(key);
      expect(await store.consumeField!(key, FIELD, VALUE, now())).toBe(false);
    });

    it(`of ${CONTENDERS} racing consumers that all read the field first, exactly one wins`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const key = testKey();
        await stores[0]!.create(key, withField());
        const arrive = barrier(CONTENDERS);
        const release = backend.hold ? await backend.hold(key) : null;
        const sent = barrier(CONTENDERS + 1);
        const contenders = Array.from({ length: CONTENDERS }, async (_, n) => {
          const store = stores[n % stores.length]!;
          const seen = await store.get(key, now());
          expect(seen?.data[FIELD]).toBe(JSON.stringify(VALUE));
          await arrive(); // nobody consumes before everybody has seen the field
          const p = store.consumeField!(key, FIELD, VALUE, now());
          void sent();
          return p;
        });
        if (release) {
          await sent(); // every UPDATE is on the wire, blocked on the held row
          await new Promise((r) => setTimeout(r, 50));
          await release();
        }
        const results = await Promise.all(contenders);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await stores[0]!.get(key, now()))?.data[FIELD]).toBeUndefined();
      }
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), "cloakroom-consume-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

consumeSuite("memory", { open: async () => [createMemoryStore({ sweepInterval: 0 })] });

consumeSuite("sqlite (two connections to one file)", {
  open: async () => {
    const path = join(dir, "s.db");
    const a = await createSqliteStore({ path });
    return [a, await createSqliteStore({ path })];
  },
});

consumeSuite("file (two instances on one directory)", {
  open: async () => {
    const path = join(dir, "files");
    return [createFileStore({ dir: path }), createFileStore({ dir: path })];
  },
});

consumeSuite("tiered (memory cache over sqlite)", {
  open: async () => {
    const durable = await createSqliteStore({ path: join(dir, "t.db") });
    return [
      createTieredStore({
        durable,
        cache: createMemoryStore({ sweepInterval: 0 }),
        cacheTtl: 5000,
        singleProcess: true,
      }),
    ];
  },
});

const redisDown = await redisUnavailable();
describeWithService("Redis", redisDown, "consumeField on redis", () => {
  consumeSuite("redis (two clients)", {
    open: async () => [
      await createStore(SERVICE_URLS.redis, { keyPrefix: "cr:consume:" }),
      await createStore(SERVICE_URLS.redis, { keyPrefix: "cr:consume:" }),
    ],
  });
});

const memcachedUnavailable = await probe("memcached", async () => {
  const s = await createStore(SERVICE_URLS.memcached);
  try {
    await s.get(testKey(), Date.now());
  } finally {
    await s.close?.();
  }
});
describeWithService("Memcached", memcachedUnavailable, "consumeField on memcached", () => {
  consumeSuite("memcached (two clients)", {
    open: async () => [
      await createStore(SERVICE_URLS.memcached, { prefix: "cr_consume:" }),
      await createStore(SERVICE_URLS.memcached, { prefix: "cr_consume:" }),
    ],
  });
});

describeWithService("postgres", pgUnavailable, "consumeField on postgres", () => {
  const table = uniqueTable("crt_consume");
  afterAll(() => dropTable("postgres", table));
  consumeSuite("postgres (pool of 8, row held by a third connection)", {
    open: async () => [await createPostgresStore({ url: PG_URL, table, migrate: true })],
    async hold(key) {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query("BEGIN");
      const r = await c.query(`SELECT 1 FROM "${table}" WHERE token_hash = $1 FOR UPDATE`, [key]);
      expect(r.rowCount).toBe(1);
      return async () => {
        await c.query("COMMIT");
        await c.end();
      };
    },
  });
});

describeWithService("mysql", mysqlUnavailable, "consumeField on mysql", () => {
  const table = uniqueTable("crt_consume");
  afterAll(() => dropTable("mysql", table));
  consumeSuite("mysql (row held by a third connection)", {
    open: async () => [await createMysqlStore({ url: MYSQL_URL, table, migrate: true })],
    async hold(key) {
      const c = await mysql.createConnection(MYSQL_URL);
      await c.query("BEGIN");
      const [rows] = await c.query(`SELECT 1 FROM \`${table}\` WHERE token_hash = ? FOR UPDATE`, [
        key,
      ]);
      expect(rows).toHaveLength(1);
      return async () => {
        await c.query("COMMIT");
        await c.end();
      };
    },
  });
});
