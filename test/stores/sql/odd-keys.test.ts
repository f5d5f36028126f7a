/**
 * Session keys may hold any characters: quotes, dots, brackets, spaces,
 * backslashes, newlines, `$`, emoji. Each names exactly one member on every
 * dialect (JSON paths are built with the key JSON-quoted and bound, never
 * spliced), and malformed store keys never reach SQL.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { record, testKey, touchOnly } from "cloakroom-sessions/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SessionDataError } from "../../../src/core/errors.js";
import type { SqlStore } from "../../../src/stores/sql/sql-store.js";
import { describeWithService } from "../../support/services.js";
import { dropTable, openStore, unavailableOf, uniqueTable } from "../../support/sql.js";

const dir = mkdtempSync(join(tmpdir(), "cloakroom-oddkeys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ODD = [
  'we"ird',
  "it's",
  "do.t",
  "a.b.c",
  "sp ace",
  "[0]",
  "$",
  "$.x",
  "*",
  "**",
  "back\\slash",
  "new\nline",
  "tab\t",
  "ünïcødé ✓",
  "😀",
  "__proto__",
  "constructor",
];

const VALUES = ['"x"', "1", "-0.5", "true", "false", "null", '[1,{"y":[]}]', '{"é":"😀"}', '""'];

for (const d of ["sqlite", "postgres", "mysql"] as const) {
  describeWithService(d, unavailableOf(d), `${d}: odd session keys and values`, () => {
    const table = uniqueTable(`crt_odd_${d}`);
    let store: SqlStore;
    beforeAll(async () => {
      store = await openStore(d, table, dir);
    });
    afterAll(async () => {
      await store?.close();
      if (d !== "sqlite") await dropTable(d, table);
    });

    it("creates, patches and removes each odd key as exactly one member", async () => {
      const key = testKey();
      const data: Record<string, string> = {};
      for (const [i, k] of ODD.entries()) {
        Object.defineProperty(data, k, {
          value: VALUES[i % VALUES.length]!,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      await store.create(key, record({ data: {} }));
      // Set them all through patches (the JSON-path code), then read back.
      for (const k of ODD) {
        const set: Record<string, string> = {};
        Object.defineProperty(set, k, { value: data[k], enumerable: true });
        expect(await store.patch(key, { set, unset: [], maxBytes: 65536 }, Date.now())).toBe("ok");
      }
      let got = (await store.get(key, Date.now()))!.data;
      expect(Object.keys(got).sort()).toEqual([...ODD].sort());
      for (const k of ODD) expect(JSON.parse(got[k]!), k).toEqual(JSON.parse(data[k]!));
      expect(({} as Record<string, unknown>).x).toBeUndefined();

      // Removing keys that look like paths removes only themselves.
      const gone = ["do.t", "[0]", "$", "*", 'we"ird', "__proto__"];
      expect(await store.patch(key, { set: {}, unset: gone, maxBytes: 65536 }, Date.now())).toBe(
        "ok",
      );
      got = (await store.get(key, Date.now()))!.data;
      expect(Object.keys(got).sort()).toEqual(ODD.filter((k) => !gone.includes(k)).sort());
      expect(got["a.b.c"]).toBeDefined();
      expect(got["$.x"]).toBeDefined();
      expect(got["**"]).toBeDefined();
    });

    it("creates a record holding odd keys and reads it back equal", async () => {
      const key = testKey();
      const data: Record<string, string> = {};
      for (const [i, k] of ODD.entries()) {
        Object.defineProperty(data, k, {
          value: VALUES[i % VALUES.length]!,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      await store.create(key, record({ data }));
      const got = (await store.get(key, Date.now()))!.data;
      for (const k of ODD) expect(JSON.parse(got[k]!), k).toEqual(JSON.parse(data[k]!));
    });

    it(`refuses text ${d} cannot hold, writing nothing: lone surrogates${d === "postgres" ? " and U+0000" : ""}`, async () => {
      const key = testKey();
      const r = record({ data: { a: "1" } });
      await store.create(key, r);
      const refused: Record<string, string>[] = [
        { "\ud800": "1" },
        { ok: JSON.stringify("x\udc00") },
        { ok: JSON.stringify({ deep: ["\ud83d"] }) },
      ];
      const nul: Record<string, string>[] = [
        { "nul\u0000": "1" },
        { ok: JSON.stringify("a\u0000b") },
      ];
      for (const set of d === "postgres" ? [...refused, ...nul] : refused) {
        await expect(
          store.patch(key, { set, unset: [], maxBytes: 65536 }, Date.now()),
        ).rejects.toBeInstanceOf(SessionDataError);
        await expect(store.create(testKey(), record({ data: set }))).rejects.toBeInstanceOf(
          SessionDataError,
        );
      }
      expect((await store.get(key, Date.now()))!.data).toEqual(r.data);
      if (d !== "postgres") {
        for (const set of nul)
          expect(await store.patch(key, { set, unset: [], maxBytes: 65536 }, Date.now())).toBe(
            "ok",
          );
        const got = (await store.get(key, Date.now()))!.data;
        expect(got["nul\u0000"]).toBe("1");
        expect(JSON.parse(got.ok!)).toBe("a\u0000b");
      }
      // A well-formed pair (an emoji written as escapes) is fine everywhere.
      expect(
        await store.patch(
          key,
          { set: { e: '"\\ud83d\\ude00"' }, unset: [], maxBytes: 65536 },
          Date.now(),
        ),
      ).toBe("ok");
      expect(JSON.parse((await store.get(key, Date.now()))!.data.e!)).toBe("😀");
    });

    it("never sends a malformed store key to the database", async () => {
      const key = testKey();
      await store.create(key, record());
      for (const bad of [
        `${key} `,
        `${key}'`,
        "../../x",
        "a/b",
        "",
        "x".repeat(300),
        "k\r\nflush_all",
      ]) {
        expect(await store.get(bad, Date.now())).toBeNull();
        expect(
          await store.patch(bad, { set: { a: "1" }, unset: [], maxBytes: 65536 }, Date.now()),
        ).toBe("missing");
        expect(await store.patch(bad, touchOnly(Date.now(), Date.now() + 1000), Date.now())).toBe(
          "missing",
        );
        await store.destroy(bad);
      }
      expect(await store.get(key, Date.now())).not.toBeNull();
    });
  });
}
