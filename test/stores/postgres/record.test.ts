/**
 * The PostgreSQL read selects a session as one JSON array (`selectRecord`,
 * src/stores/sql/dialects/postgres.ts) instead of eight columns. This checks
 * on a real server that what a read returns is exactly what the eight
 * columns, read as before (`toStoredSession` of a row of columns), give:
 * generated documents, user ids, IPs and user agents with quotes,
 * backslashes, control characters and any Unicode PostgreSQL stores, and
 * times up to 2^50 ms.
 */
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { StoredSession } from "../../../src/core/store.js";
import { createPostgresStore } from "../../../src/stores/postgres/index.js";
import { SUMMARY_COLUMNS, toStoredSession } from "../../../src/stores/sql/rows.js";
import type { SqlStore } from "../../../src/stores/sql/sql-store.js";
import { STORE_RUNS } from "../../fuzz/runs.js";
import { describeWithService } from "../../support/services.js";
import { dropTable, PG_URL, pgUnavailable, uniqueTable } from "../../support/sql.js";

/** Text PostgreSQL stores: any string without U+0000 (full graphemes, so no lone surrogates). */
const storable = (maxLength: number) =>
  fc.string({ unit: "grapheme", maxLength }).map((s) => s.replaceAll("\u0000", "\u0001"));
/** Quotes, backslashes and control characters, which the JSON array must escape. */
const awkward = fc
  .array(fc.constantFrom('"', "\\", "\n", "\t", "\u0001", "\u001f", "é", "😀", "a", " "), {
    maxLength: 12,
  })
  .map((parts) => parts.join(""));
const text = fc.oneof(storable(40), awkward);

const value = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.integer(),
    text,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(text, tie("v"), { maxKeys: 3 }),
  ),
})).v;

const NOW = 1_700_000_000_000;

const session = fc
  .record({
    data: fc.dictionary(
      text,
      value.map((v) => JSON.stringify(v)),
      { maxKeys: 6 },
    ),
    userId: fc.option(text.filter((s) => s.length > 0)),
    ip: fc.option(text),
    userAgent: fc.option(text),
    createdAt: fc.integer({ min: 0, max: NOW }),
    seen: fc.integer({ min: 0, max: 2 ** 40 }),
    idle: fc.integer({ min: NOW + 1, max: 2 ** 50 }),
    absolute: fc.integer({ min: NOW + 1, max: 2 ** 50 }),
  })
  .map(
    (r): StoredSession => ({
      data: r.data,
      userId: r.userId,
      createdAt: r.createdAt,
      lastSeenAt: r.createdAt + r.seen,
      idleExpiresAt: r.idle,
      absoluteExpiresAt: r.absolute,
      ip: r.ip,
      userAgent: r.userAgent,
    }),
  );

describeWithService(
  "postgres",
  pgUnavailable,
  "postgres store: the read's one-column record",
  () => {
    const table = uniqueTable("crt_pgrec");
    let store: SqlStore;
    let client: pg.Client;
    beforeAll(async () => {
      store = await createPostgresStore({ url: PG_URL, table, migrate: true });
      client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
    });
    afterAll(async () => {
      await store?.close();
      await client?.end();
      await dropTable("postgres", table);
    });

    it("reads back exactly what the eight columns hold", async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(session, async (s) => {
          const key = `rec${++n}`.padEnd(43, "A");
          await store.create(key, s);
          const columns = await client.query(
            `SELECT data::text AS data, ${SUMMARY_COLUMNS.join(", ")} FROM ${table} WHERE token_hash = $1`,
            [key],
          );
          expect(columns.rows).toHaveLength(1);
          const got = await store.get(key, NOW);
          expect(got).toEqual(toStoredSession(columns.rows[0]));
          // And what was written, up to jsonb's normal form inside values.
          expect(got).toMatchObject({
            userId: s.userId,
            ip: s.ip,
            userAgent: s.userAgent,
            createdAt: s.createdAt,
            lastSeenAt: s.lastSeenAt,
            idleExpiresAt: Math.min(s.idleExpiresAt, s.absoluteExpiresAt),
            absoluteExpiresAt: s.absoluteExpiresAt,
          });
          expect(Object.keys(got!.data).sort()).toEqual(Object.keys(s.data).sort());
          for (const k of Object.keys(s.data)) {
            expect(JSON.parse(got!.data[k]!)).toEqual(JSON.parse(s.data[k]!));
          }
        }),
        { numRuns: STORE_RUNS },
      );
    });

    it("sends the read as one column", () => {
      const sql = store.dialect.statements(store.dialect.names(table)).get("k").sql;
      expect(sql).toMatch(/^SELECT json_build_array\(data, user_id, .*\)::text AS record FROM /);
    });
  },
);
