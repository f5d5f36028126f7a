/**
 * The session cookie as the browser receives it, over real HTTP through the
 * Express adapter: ASVS 4.0.3 V3.4.1–3.4.4, ASVS 5.0 V3.3.1–3.3.5, RFC
 * 6265bis CK-01/03/05/06/08/13, SM-01/16. (The __Host- prefix behind a
 * trusted proxy and X-Forwarded-Proto spoofing are in the adapter suite,
 * test/conformance/adapter-cookie-tests.ts.)
 */

import { attributes, Client, type Reply } from "cloakroom-sessions/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationError } from "../../src/core/errors.js";
import { createSessions } from "../../src/core/manager.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { OTHER_SECRET, SECRET, type SecApp, startApp } from "../support/security.js";

/** RFC 6265bis §4.1.1 cookie-octet: no CTL, whitespace, DQUOTE, comma, semicolon or backslash. */
const COOKIE_OCTETS = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/;
const HTTPS = { "x-forwarded-proto": "https" };

let http: SecApp;
let proxied: SecApp;
beforeAll(async () => {
  http = await startApp();
  proxied = await startApp({ trustProxy: true });
});
afterAll(async () => {
  await Promise.all([http?.close(), proxied?.close()]);
});

/** The Set-Cookie lines naming the session cookie, whatever its prefix or case. */
const sessionLines = (r: Reply) => r.setCookies.filter((l) => /^(__host-)?cloakroom=/i.test(l));

function expectOneWellFormed(r: Reply, secure: boolean): Map<string, string> {
  const lines = sessionLines(r);
  // CK-05: one Set-Cookie per name per response, no attribute repeated.
  expect(lines, r.setCookies.join(" | ")).toHaveLength(1);
  const line = lines[0]!;
  const names = line
    .split(";")
    .slice(1)
    .map((a) => a.trim().split("=")[0]!.toLowerCase());
  expect(new Set(names).size).toBe(names.length);
  const value = line.split(";", 1)[0]!.split("=").slice(1).join("=");
  if (value !== "") expect(value).toMatch(COOKIE_OCTETS);
  const a = attributes(line);
  expect(a.has("httponly")).toBe(true);
  expect(a.get("samesite")).toBe("Lax");
  expect(a.get("path")).toBe("/");
  expect(a.has("domain")).toBe(false);
  expect(a.has("secure")).toBe(secure);
  expect(line.startsWith("__Host-cloakroom=")).toBe(secure);
  return a;
}

describe("session cookie attributes", () => {
  it("every Set-Cookie of a session's life (create, login, regenerate, logout) is one well-formed line", async () => {
    const c = new Client(http.url);
    const created = await c.put("/set/a", 1);
    const a = expectOneWellFormed(created, false);
    // SM-16: a browser-session cookie unless the app asks for a persistent one.
    expect(a.has("max-age") || a.has("expires")).toBe(false);
    const login = await c.post("/login/alice", { cookie: created.cookie });
    expectOneWellFormed(login, false);
    const regen = await c.post("/regenerate", { cookie: login.cookie });
    expectOneWellFormed(regen, false);
    const out = await c.post("/logout", { cookie: regen.cookie });
    const cleared = expectOneWellFormed(out, false);
    expect(cleared.get("max-age")).toBe("0");
  });

  it("over HTTPS every one of them is Secure with the __Host- prefix, Path=/ and no Domain (ASVS 4.0.3 V3.4.1, V3.4.4)", async () => {
    const c = new Client(proxied.url);
    const created = await c.put("/set/a", 1, { headers: HTTPS });
    expectOneWellFormed(created, true);
    const login = await c.post("/login/alice", { cookie: created.cookie, headers: HTTPS });
    expectOneWellFormed(login, true);
    const out = await c.post("/logout", { cookie: login.cookie, headers: HTTPS });
    expect(expectOneWellFormed(out, true).get("max-age")).toBe("0");
  });

  it("a cookie re-issued under a new secret is one well-formed line too", async () => {
    const old = await startApp({ secrets: [OTHER_SECRET] });
    const rotated = await startApp({ secrets: [SECRET, OTHER_SECRET], backing: old.store.inner });
    try {
      const first = await new Client(old.url).put("/set/a", 1);
      const again = await new Client(rotated.url).get("/who", { cookie: first.cookie });
      expect(again.json).toMatchObject({ data: { a: 1 } });
      expectOneWellFormed(again, false);
      expect(again.cookie).not.toBe(first.cookie);
    } finally {
      await Promise.all([old.close(), rotated.close()]);
    }
  });

  it("over HTTPS, only the exact __Host- name counts: case variants, nameless and unprefixed cookies are ignored (CK-03, CK-12)", async () => {
    const c = new Client(proxied.url);
    const { cookie } = await c.put("/set/mine", "yes", { headers: HTTPS });
    const value = cookie!.slice("__Host-cloakroom=".length);
    expect((await c.get("/who", { cookie, headers: HTTPS })).json).toMatchObject({
      data: { mine: "yes" },
    });
    // A sibling subdomain or an http:// page can plant "cloakroom=…" but never "__Host-cloakroom".
    for (const impostor of [
      `__host-cloakroom=${value}`,
      `__HOST-cloakroom=${value}`,
      `=__Host-cloakroom=${value}`,
      `cloakroom=${value}`,
      `__Secure-cloakroom=${value}`,
    ]) {
      const r = await c.get("/who", { cookie: impostor, headers: HTTPS });
      expect(r.status, impostor).toBe(200);
      expect(r.json, impostor).toMatchObject({ isNew: true, data: {} });
    }
  });

  it("SameSite is always explicit; 'none' without Secure is refused at startup (CK-04, ASVS 4.0.3 V3.4.3)", async () => {
    const store = new MemoryStore({ sweepInterval: 0 });
    expect(() =>
      createSessions({ store, secrets: [SECRET], cookie: { sameSite: "none", secure: false } }),
    ).toThrow(ConfigurationError);
    const strict = await startApp({ cookie: { sameSite: "strict" } });
    try {
      const r = await new Client(strict.url).put("/set/a", 1);
      expect(attributes(r.sessionSetCookie!).get("samesite")).toBe("Strict");
    } finally {
      await strict.close();
    }
  });

  it("the default name fingerprints no framework (SM-01)", async () => {
    const r = await new Client(http.url).put("/set/a", 1);
    const name = r.sessionSetCookie!.split("=", 1)[0]!;
    expect(["connect.sid", "sessionId", "JSESSIONID", "PHPSESSID", "sid", "session"]).not.toContain(
      name,
    );
  });

  it("name=value fits in 4096 octets at the longest name allowed; a longer name is refused at startup (ASVS 5.0 V3.3.5, CK-07)", async () => {
    const store = new MemoryStore({ sweepInterval: 0 });
    let longest = 0;
    for (let n = 3900; n < 4100; n++) {
      try {
        createSessions({ store, secrets: [SECRET], cookie: { name: "n".repeat(n) } });
        longest = n;
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigurationError);
        break;
      }
    }
    expect(longest).toBeGreaterThan(3900);
    const app = await startApp({ trustProxy: true, cookie: { name: "n".repeat(longest) } });
    try {
      const r = await new Client(app.url).put("/set/a", 1, { headers: HTTPS });
      const pair = r.setCookies[0]!.split(";", 1)[0]!;
      expect(pair.startsWith("__Host-n")).toBe(true);
      expect(Buffer.byteLength(pair)).toBeLessThanOrEqual(4096);
    } finally {
      await app.close();
    }
  });

  it("a persistent cookie never carries Max-Age past 400 days, whatever the lifetime asked (CK-08)", async () => {
    const c = new Client(http.url);
    const year = await c.post("/login/alice?remember=30");
    expect(Number(attributes(year.sessionSetCookie!).get("max-age"))).toBe(30 * 86_400);
    const long = await c.post("/login/alice?remember=800");
    expect(Number(attributes(long.sessionSetCookie!).get("max-age"))).toBe(400 * 86_400);
    // The server-side deadline is what rules; the session itself lives on.
    expect((await c.get("/who", { cookie: long.cookie })).json).toMatchObject({ userId: "alice" });
  });
});
