import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeValue, encodedSize, encodeValue } from "../../src/core/codec.js";
import { SessionDataError } from "../../src/core/errors.js";

describe("session value codec", () => {
  it("round-trips any JSON value", () => {
    const hasProtoKey = (v: unknown): boolean =>
      typeof v === "object" &&
      v !== null &&
      (Object.hasOwn(v, "__proto__") || Object.values(v).some(hasProtoKey));
    fc.assert(
      fc.property(
        fc.jsonValue({ stringUnit: "grapheme" }).filter((v) => !hasProtoKey(v)),
        (v) => {
          // -0 becomes 0 through JSON; that is JSON's own equality.
          expect(decodeValue(encodeValue(v, "k"))).toEqual(JSON.parse(JSON.stringify(v)));
        },
      ),
    );
  });

  it("refuses strings some stores cannot keep: U+0000 and lone surrogates", () => {
    expect(() => encodeValue("a\u0000b", "k")).toThrow(SessionDataError);
    expect(() => encodeValue({ x: "\ud800" }, "k")).toThrow(SessionDataError);
    expect(() => encodeValue({ "\udc00": 1 }, "k")).toThrow(SessionDataError);
    expect(encodeValue("emoji 😀 ok", "k")).toBe('"emoji 😀 ok"');
  });

  it("refuses what JSON would silently change", () => {
    for (const bad of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      () => 1,
      Symbol("s"),
      10n,
      new Date(),
      new Map(),
      { a: undefined },
      [undefined],
    ]) {
      expect(() => encodeValue(bad, "k")).toThrow(SessionDataError);
    }
  });

  it("never lets stored data reach a prototype", () => {
    const v = decodeValue(
      '{"__proto__":{"polluted":true},"a":{"constructor":{"prototype":{"x":1}}}}',
    ) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(v)).toEqual(["a"]);
    // Own "constructor"/"prototype" properties are plain data and reach no prototype.
    expect(Object.getPrototypeOf(v.a)).toBe(Object.prototype);
    expect(({} as { x?: number }).x).toBeUndefined();
    expect(() => encodeValue(JSON.parse('{"__proto__":1}'), "k")).toThrow(SessionDataError);
  });

  it("returns undefined for corrupt stored text instead of throwing", () => {
    expect(decodeValue("{not json")).toBeUndefined();
  });

  it("measures size as UTF-8 bytes of keys and JSON values", () => {
    expect(encodedSize({ ab: '"é"' })).toBe(2 + 4);
  });
});
