/**
 * Cookie parsing under arbitrary input: `readToken` never throws, never
 * returns more than a token can be, finds our cookie among any others, and
 * a serialized token always reads back as itself.
 */
import fc from "fast-check";
import { afterAll, expect, it } from "vitest";
import {
  type CookieSettings,
  cookieName,
  readToken,
  serializeClear,
  serializeToken,
} from "../../src/core/cookies.js";
import { assertRuns, counted, RUNS, reportCases } from "./runs.js";

afterAll(() => reportCases("cookies"));

const settings: CookieSettings = {
  name: "cloakroom",
  secure: "auto",
  sameSite: "lax",
  httpOnly: true,
  path: "/",
  domain: undefined,
  hostPrefix: true,
  partitioned: false,
};

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const b64 = (n: number) =>
  fc.array(fc.constantFrom(...B64), { minLength: n, maxLength: n }).map((a) => a.join(""));
const token = fc.tuple(b64(43), b64(43)).map(([s, m]) => `v1.${s}.${m}`);
/** Other cookies a browser may send: names and values in the RFC 6265 cookie-octet range. */
const cookieOctet = fc.constantFrom(..."abcXYZ019!#$%&'()*+-./:<=>?@[]^_`{|}~".split(""));
const otherCookie = fc
  .tuple(
    fc.array(fc.constantFrom(..."abcdefxyz_-0123".split("")), { minLength: 1, maxLength: 12 }),
    fc.array(cookieOctet, { maxLength: 40 }),
  )
  .map(([n, v]) => `${n.join("")}=${v.join("")}`)
  .filter((c) => !c.startsWith("cloakroom=") && !c.startsWith("__Host-cloakroom="));

it("never throws on any header, and returns a short non-empty string or undefined", async () => {
  await assertRuns(
    fc.property(
      fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: "binary", maxLength: 300 })),
      fc.boolean(),
      counted((header: string, secure: boolean) => {
        const name = cookieName(settings, secure);
        const withName = `${header}; ${name}=${header.slice(0, 50)}`;
        for (const h of [header, withName]) {
          const t = readToken(h, name);
          if (t !== undefined) {
            expect(typeof t).toBe("string");
            expect(t.length).toBeGreaterThan(0);
            expect(t.length).toBeLessThanOrEqual(256);
          }
        }
      }),
    ),
    RUNS,
  );
});

it("finds a serialized token among any other cookies, in any position", async () => {
  await assertRuns(
    fc.property(
      token,
      fc.boolean(),
      fc.array(otherCookie, { maxLength: 8 }),
      fc.nat(),
      counted((t: string, secure: boolean, others: string[], at: number) => {
        const setCookie = serializeToken(settings, secure, t, undefined);
        const pair = setCookie.split(";", 1)[0]!;
        const list = [...others];
        list.splice(at % (list.length + 1), 0, pair);
        expect(readToken(list.join("; "), cookieName(settings, secure))).toBe(t);
      }),
    ),
    RUNS,
  );
});

it("the first of two session cookies wins, and a cleared cookie reads as none", async () => {
  await assertRuns(
    fc.property(
      token,
      token,
      fc.boolean(),
      counted((first: string, second: string, secure: boolean) => {
        const name = cookieName(settings, secure);
        expect(readToken(`${name}=${first}; ${name}=${second}`, name)).toBe(first);
        const cleared = serializeClear(settings, secure).split(";", 1)[0]!;
        expect(readToken(cleared, name)).toBeUndefined();
      }),
    ),
    RUNS,
  );
});
