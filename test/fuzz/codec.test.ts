/**
 * The codec under arbitrary values: whatever `encodeValue` accepts comes
 * back equal from `decodeValue`; whatever it refuses, it refuses with a
 * SessionDataError (never another error, never a silent change); decoding
 * never throws; sizes agree with Buffer's UTF-8 count.
 */
import fc from "fast-check";
import { afterAll, expect, it } from "vitest";
import {
  byteLength,
  checkKey,
  decodeValue,
  encodedSize,
  encodeValue,
} from "../../src/core/codec.js";
import { SessionDataError } from "../../src/core/errors.js";
import { assertRuns, counted, RUNS, reportCases } from "./runs.js";

afterAll(() => reportCases("codec"));

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Would JSON keep this value exactly, and do the stores accept every string in it? */
function storable(v: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (typeof v === "string") return !v.includes("\u0000") && !LONE_SURROGATE.test(v);
  if (typeof v === "number") return Number.isFinite(v);
  if (v === null || typeof v === "boolean") return true;
  // A hole would come back as null: refused like undefined.
  if (Array.isArray(v)) return Array.from(v).every((x) => storable(x, depth + 1));
  if (typeof v === "object") {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return false;
    return Object.entries(v as object).every(
      ([k, x]) => k !== "__proto__" && storable(k, depth + 1) && storable(x, depth + 1),
    );
  }
  return false;
}

/** -0 is written as 0 by JSON: compare through a second encoding. */
const same = (a: unknown, b: unknown) => expect(JSON.stringify(a)).toBe(JSON.stringify(b));

const anyValue = fc.oneof(
  fc.jsonValue(),
  fc.jsonValue({ depthSize: "small" }).map((v) => ({ nested: v })),
  fc.anything({
    withBoxedValues: true,
    withMap: true,
    withSet: true,
    withDate: true,
    withNullPrototype: true,
    withSparseArray: true,
  }),
  fc.string({ unit: "binary" }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, undefined, () => 1, Symbol("s")),
  fc.dictionary(fc.constantFrom("__proto__", "constructor", "prototype", "a"), fc.integer()),
);

it("accepted values round-trip; refused ones are refused with SessionDataError", async () => {
  await assertRuns(
    fc.property(
      anyValue,
      counted((value: unknown) => {
        let text: string;
        try {
          text = encodeValue(value, "k");
        } catch (err) {
          expect(err).toBeInstanceOf(SessionDataError);
          expect(storable(value)).toBe(false);
          return;
        }
        expect(storable(value)).toBe(true);
        same(decodeValue(text), value);
      }),
    ),
    RUNS,
  );
});

it("decoding never throws and never yields a __proto__ key", async () => {
  await assertRuns(
    fc.property(
      fc.oneof(
        fc.string({ unit: "binary" }),
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc.jsonValue().map((v) => `{"__proto__":${JSON.stringify(v)},"x":1}`),
      ),
      counted((text: string) => {
        const v = decodeValue(text);
        const walk = (x: unknown): void => {
          if (x && typeof x === "object") {
            expect(Object.hasOwn(x, "__proto__")).toBe(false);
            expect(Object.getPrototypeOf(x)).toBe(
              Array.isArray(x) ? Array.prototype : Object.prototype,
            );
            for (const y of Object.values(x)) walk(y);
          }
        };
        walk(v);
      }),
    ),
    RUNS,
  );
});

it("sizes are UTF-8 byte counts, and keys are checked like values", async () => {
  await assertRuns(
    fc.property(
      fc.dictionary(fc.string({ unit: "binary", maxLength: 20 }), fc.string({ unit: "binary" }), {
        maxKeys: 6,
      }),
      counted((fields: Record<string, string>) => {
        let n = 0;
        for (const [k, v] of Object.entries(fields)) {
          expect(byteLength(v)).toBe(Buffer.byteLength(v, "utf8"));
          n += Buffer.byteLength(k, "utf8") + Buffer.byteLength(v, "utf8");
          const keyOk =
            k.length > 0 &&
            k.length <= 200 &&
            !["__proto__", "constructor", "prototype"].includes(k) &&
            storable(k);
          if (keyOk) expect(() => checkKey(k)).not.toThrow();
          else expect(() => checkKey(k)).toThrow(SessionDataError);
        }
        expect(encodedSize(fields)).toBe(n);
      }),
    ),
    RUNS,
  );
});
