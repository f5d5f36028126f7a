/**
 * REL-43, CK-06, CK-07: nothing an app configures can inject a cookie
 * attribute or split the response. Every option that reaches `Set-Cookie` or
 * another header is checked when the manager is created, with a
 * ConfigurationError — not a TypeError on the first request's write, and
 * never a header with `;` or CR/LF in it (jshttp/cookie GHSA-pxg6-pf52-xh8x;
 * Node CVE-2016-5325 and test-http-response-splitting's vectors, whose
 * latin-1 truncation gives CR/LF).
 */
import { afterAll, describe, expect, it } from "vitest";
import { ConfigurationError } from "../../src/core/errors.js";
import { createSessions } from "../../src/core/manager.js";
import type { SessionOptions } from "../../src/core/options.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { rawRequest, SECRET, type SecApp, setCookiesOf, startApp } from "../support/security.js";

const store = new MemoryStore({ sweepInterval: 0 });
const make = (o: Partial<SessionOptions>) => () =>
  createSessions({ store, secrets: [SECRET], ...o });

// From Node's test/parallel/test-http-response-splitting.js: these truncate to CR/LF in latin-1.
const SPLITTERS = ["\r\n", "\n", "\r", "\u010D\u010A", "\u0D0A", "\u280A", "\u0000"];
const INJECTIONS = [
  "; Domain=evil.test",
  ";Secure",
  ", other=1",
  ...SPLITTERS.map((s) => `${s}Set-Cookie: evil=1`),
];

describe("response splitting and attribute injection through options", () => {
  it.each(INJECTIONS)("cookie.name with %j is a ConfigurationError at startup", (bad) => {
    expect(make({ cookie: { name: `sid${bad}` } })).toThrow(ConfigurationError);
  });

  // A comma is legal in a path-value (RFC 6265 §4.1.1): only `;` and controls can inject.
  it.each(INJECTIONS.filter((i) => !i.startsWith(",")))(
    "cookie.path with %j is a ConfigurationError at startup",
    (bad) => {
      expect(make({ cookie: { path: `/app${bad}` } })).toThrow(ConfigurationError);
    },
  );

  it.each(INJECTIONS)("cookie.domain with %j is a ConfigurationError at startup", (bad) => {
    expect(make({ cookie: { domain: `app.test${bad}` } })).toThrow(ConfigurationError);
  });

  it.each(SPLITTERS)("cacheControl with %j is a ConfigurationError at startup", (bad) => {
    expect(make({ cacheControl: `no-store${bad}X-Evil: 1` })).toThrow(ConfigurationError);
  });

  it("a relative or empty path is refused (RFC 6265 §5.2.4 would silently ignore it)", () => {
    expect(make({ cookie: { path: "app" } })).toThrow(ConfigurationError);
    expect(make({ cookie: { path: "" } })).toThrow(ConfigurationError);
  });

  it("sane values pass: nested path, leading-dot domain, custom cache-control", () => {
    expect(make({ cookie: { path: "/app/v1", domain: ".example.test" } })).not.toThrow();
    expect(make({ cacheControl: "private, no-store, max-age=0" })).not.toThrow();
  });
});

describe("hostile request input never reaches a response header", () => {
  let app: SecApp;
  afterAll(async () => {
    await app?.close();
  });

  it("a session value with CR/LF and `;` stays inside the JSON body; the one Set-Cookie is intact", async () => {
    app = await startApp();
    const value = "x\r\nSet-Cookie: evil=1; Path=/\r\n\r\n<html>";
    const body = JSON.stringify({ value });
    const r = await rawRequest(
      app.url,
      `PUT /set/note HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}`,
      body,
    );
    expect(r.status).toBe(204);
    const cookies = setCookiesOf(r);
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(
      /^cloakroom=v1\.[\w-]{43}\.[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    expect(r.raw).not.toMatch(/evil=1/);
  });
});
