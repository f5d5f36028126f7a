/**
 * The PostgreSQL patch's two size checks (src/stores/sql/dialects/postgres.ts)
 * on a real server. A patch's UPDATE sends the quick one first and falls back
 * to the exact one only when the quick one refused, so the store's size
 * limit holds only if the quick check is never true of a document the exact
 * check refuses. Both are evaluated here by PostgreSQL itself on generated
 * documents, at limits around the document's encoded size.
 */
import fc from "fast-check";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { encodedSize } from "../../../src/core/codec.js";
import { postgresDialect } from "../../../src/stores/sql/dialects/postgres.js";
import { objectText } from "../../../src/stores/sql/rows.js";
import { STORE_RUNS } from "../../fuzz/runs.js";
import { describeWithService } from "../../support/services.js";
import { PG_URL, pgUnavailable } from "../../support/sql.js";

/**
 * The two predicates as the dialect writes them, on a bound document ($1)
 * and each limit of `unnest($2)`. Taken from the statements the store sends:
 * `patch(…, "quick")` and `patchCheck`'s exact `fits`.
 */
function checksSql(): string {
  const statements = postgresDialect.statements(postgresDialect.names("size_check_probe"));
  const patch = { set: { k: "1" }, unset: [], maxBytes: 1 };
  const quick = statements.patch("key", patch, 0, "quick").sql;
  const exact = statements.patchCheck("key", patch, 0).sql;
  // The predicate after the liveness test, with the patched document and the
  // limit swapped for the probe's: `(data || $n::jsonb)` → $1, `$m::bigint` → m.
  const predicate = (text: string, from: string) => {
    const at = text.indexOf(from);
    expect(at).toBeGreaterThanOrEqual(0);
    return text
      .slice(at + from.length)
      .replace(/\(data \|\| \$\d+::jsonb\)/g, () => "$1::jsonb")
      .replace(/\$\d+::bigint/g, "m::bigint");
  };
  const q = predicate(quick, "absolute_expires_at > $4 AND ");
  const e = predicate(exact, "SELECT CASE WHEN ").replace(/ THEN 1 ELSE 0 END AS fits .*$/, "");
  return `SELECT m::bigint AS max, (${q}) AS quick, (${e}) AS exact FROM unnest($2::bigint[]) AS m`;
}

/** JSON values jsonb prints back the same way: no floats it would rewrite (1e+21, -0). */
const value = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.integer(),
    fc.string({ unit: "grapheme" }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie("v"), { maxKeys: 4 }),
  ),
})).v;

const fields = fc
  .dictionary(
    fc.string({ maxLength: 12 }).filter((k) => k !== "__proto__"),
    value.map((v) => JSON.stringify(v)),
    { minKeys: 0, maxKeys: 6 },
  )
  // jsonb refuses U+0000 (the store refuses it before any statement).
  .filter((f) => Object.entries(f).every(([k, v]) => !k.includes("\0") && !v.includes("\\u0000")));

/** Keys JSON prints without escapes: for them the exact figure is encodedSize to the byte. */
const plainKeys = (doc: Record<string, string>) =>
  Object.keys(doc).every((k) => Buffer.byteLength(JSON.stringify(k)) === Buffer.byteLength(k) + 2);

describeWithService("postgres", pgUnavailable, "postgres store: the patch's size checks", () => {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
  afterAll(() => pool.end());
  const sql = checksSql();

  const evaluate = async (doc: Record<string, string>, limits: number[]) =>
    (await pool.query(sql, [objectText(doc), limits])).rows.map((r) => ({
      max: Number(r.max),
      quick: r.quick as boolean,
      exact: r.exact as boolean,
    }));

  it("the quick check is never true where the exact one is false, and the exact one is encodedSize", async () => {
    await fc.assert(
      fc.asyncProperty(fields, async (doc) => {
        const size = encodedSize(doc);
        const text = Buffer.byteLength(objectText(doc));
        const limits = [size - 2, size - 1, size, size + 1, text - 1, text, text + 40];
        for (const r of await evaluate(doc, limits)) {
          if (r.quick) expect(r.exact).toBe(true);
          // Never over the limit; to the byte unless a key needs escapes,
          // which jsonb's text counts (a refusal a few bytes early).
          if (r.exact) expect(size).toBeLessThanOrEqual(r.max);
          if (plainKeys(doc)) expect(r.exact).toBe(size <= r.max);
        }
      }),
      { numRuns: STORE_RUNS },
    );
  });

  it("refuses by the quick check a document that fits only by the exact figure (the store's fallback case)", async () => {
    const doc = { counter: "5", user: JSON.stringify({ id: 42, roles: ["a", "b"] }) };
    const size = encodedSize(doc);
    const [atLimit] = await evaluate(doc, [size]);
    expect(atLimit).toEqual({ max: size, quick: false, exact: true });
  });
});
