/**
 * Store-URL parsing under arbitrary input: every string either names a
 * scheme or is refused with BadStoreUrlError; Redis URLs built from any
 * hosts, credentials and database parse back to what they were built from;
 * the SQL parameter split keeps the driver's URL intact; and `redact` never
 * lets a password through.
 */
import fc from "fast-check";
import { afterAll, expect, it } from "vitest";
import { BadStoreUrlError } from "../../src/core/errors.js";
import { createStore, redact, STORE_SCHEMES, schemeOf } from "../../src/stores/create-store.js";
import { parseRedisUrl } from "../../src/stores/redis/url.js";
import { splitStoreParams } from "../../src/stores/sql/url-params.js";
import { assertRuns, counted, RUNS, reportCases } from "./runs.js";

afterAll(() => reportCases("store-urls"));

const schemes = STORE_SCHEMES.map((s) => s.slice(0, -1));

it("schemeOf accepts exactly the known schemes and refuses anything else typed", async () => {
  await assertRuns(
    fc.property(
      fc.oneof(
        fc.string({ unit: "binary", maxLength: 60 }),
        fc
          .tuple(fc.constantFrom(...schemes), fc.string({ maxLength: 40 }))
          .map(([s, r]) => `${s}:${r}`),
      ),
      counted((url: string) => {
        let scheme: string;
        try {
          scheme = schemeOf(url);
        } catch (err) {
          expect(err).toBeInstanceOf(BadStoreUrlError);
          return;
        }
        expect(schemes).toContain(scheme);
        expect(url.trim().toLowerCase().startsWith(`${scheme}:`)).toBe(true);
      }),
    ),
    RUNS,
  );
});

it("malformed memcached and redis URLs are refused before any connection", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom("memcached://", "redis://", "redis+cluster://", "redis+sentinel://"),
      // A character no host may hold, inside the authority (not trimmed away).
      fc
        .tuple(
          fc.string({ maxLength: 12 }),
          fc.constantFrom(" ", '"', "<", ">", "\\", "^", "`", "{", "|", "}", "\t", ":x"),
          fc.string({ maxLength: 12 }),
        )
        .map(([a, bad, b]) => `h${a}${bad}${b}h`.replace(/[/?#@]/g, "")),
      counted(async (prefix: string, rest: string) => {
        // A host that cannot parse: refused typed, never a hang or a TypeError.
        const url = `${prefix}${rest}`;
        try {
          if (prefix.startsWith("redis")) parseRedisUrl(url);
          else await (await createStore(url)).close?.();
        } catch (err) {
          expect(err).toBeInstanceOf(BadStoreUrlError);
          return;
        }
        throw new Error(`accepted ${JSON.stringify(url)}`);
      }),
    ),
    { numRuns: Math.max(50, Math.floor(RUNS / 3)) },
  );
});

const hostname = fc.oneof(
  fc.constantFrom("127.0.0.1", "localhost", "redis-1.internal", "[::1]", "[2001:db8::7]"),
  fc.domain(),
);
const endpoint = fc.record({ host: hostname, port: fc.integer({ min: 1, max: 65535 }) });
const secret = fc.string({ unit: "grapheme", minLength: 1, maxLength: 16 });

it("Redis URLs parse back to the hosts, credentials and database they were built from", async () => {
  await assertRuns(
    fc.property(
      fc.constantFrom("redis", "rediss", "redis+cluster", "redis+sentinel"),
      fc.array(endpoint, { minLength: 1, maxLength: 4 }),
      fc.option(fc.record({ user: fc.option(secret), pass: fc.option(secret) })),
      fc.option(fc.integer({ min: 0, max: 15 })),
      fc.string({ minLength: 1, maxLength: 10 }).filter((s) => !/[/?#]/.test(s)),
      counted((scheme, nodes, auth, db, master) => {
        const single = scheme === "redis" || scheme === "rediss";
        const list = single ? nodes.slice(0, 1) : nodes;
        const hosts = list.map((n) => `${n.host}:${n.port}`).join(",");
        let userinfo = "";
        if (auth) {
          userinfo = `${auth.user === null ? "" : encodeURIComponent(auth.user)}${auth.pass === null ? "" : `:${encodeURIComponent(auth.pass)}`}@`;
        }
        const dbPart = db === null || scheme === "redis+cluster" ? "" : `/${db}`;
        const path =
          scheme === "redis+sentinel" ? `/${encodeURIComponent(master)}${dbPart}` : dbPart;
        const url = `${scheme}://${userinfo}${hosts}${path}?keyPrefix=app:`;
        const p = parseRedisUrl(url);
        expect(p.nodes).toEqual(
          list.map((n) => ({ host: n.host.replace(/^\[|\]$/g, ""), port: n.port })),
        );
        expect(p.tls).toBe(scheme === "rediss");
        if (auth?.user) expect(p.username).toBe(auth.user);
        else expect(p.username).toBeUndefined();
        if (auth && auth.pass !== null) expect(p.password).toBe(auth.pass);
        else expect(p.password).toBeUndefined();
        if (scheme === "redis+sentinel") expect(p.masterName).toBe(master);
        expect(p.database).toBe(dbPart === "" ? undefined : db);
        expect(p.query.get("keyPrefix")).toBe("app:");
        if (auth?.pass) {
          const red = redact(url);
          expect(red.includes(`:${encodeURIComponent(auth.pass)}@`)).toBe(false);
        }
      }),
    ),
    RUNS,
  );
});

it("SQL URLs lose table and migrate, and keep every driver parameter", async () => {
  await assertRuns(
    fc.property(
      fc.constantFrom("postgres", "postgresql", "mysql", "mariadb"),
      fc.webUrl().map((u) => new URL(u)),
      fc.option(fc.string({ minLength: 1, maxLength: 20 })),
      fc.option(fc.constantFrom("1", "0", "true", "false", "yes")),
      fc.dictionary(
        fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== "table" && k !== "migrate"),
        fc.string({ maxLength: 12 }),
        { maxKeys: 4 },
      ),
      counted((scheme, base, table, migrate, params) => {
        const u = new URL(`${scheme}://${base.host}${base.pathname}`);
        for (const [k, v] of Object.entries(params)) u.searchParams.append(k, v);
        if (table !== null) u.searchParams.append("table", table);
        if (migrate !== null) u.searchParams.append("migrate", migrate);
        const out = splitStoreParams(u.toString());
        expect(out.table).toBe(table ?? undefined);
        expect(out.migrate).toBe(
          migrate === null ? undefined : migrate !== "0" && migrate !== "false",
        );
        const back = new URL(out.url);
        expect(back.searchParams.has("table")).toBe(false);
        expect(back.searchParams.has("migrate")).toBe(false);
        for (const [k, v] of Object.entries(params)) expect(back.searchParams.get(k)).toBe(v);
        expect(back.host).toBe(u.host);
      }),
    ),
    RUNS,
  );
});
