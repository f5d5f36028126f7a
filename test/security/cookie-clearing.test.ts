/**
 * The cookie that ends a session repeats the exact name, Path and Domain it
 * was issued with, empty, with Max-Age=0 and a past Expires, or the browser
 * keeps the old one (REL-56, SM-09, ASVS 4.0.3 V3.3.1; @fastify/session
 * #344/#174, express-session #241/PR #1138). Checked with a non-default Path
 * and Domain, over HTTP and HTTPS (`__Host-`), on every way a session ends:
 * logout, idle expiry, revocation from elsewhere, and a forged cookie; on
 * Express, Fastify and Hono (cloakroom-sessions/web).
 */

import { attributes, Client, type Reply } from "cloakroom-sessions/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FRAMEWORKS, type SecApp, startApp } from "../support/security.js";

const MIN = 60_000;
/** Name, Path, Domain and Secure of a Set-Cookie line. */
function scope(line: string) {
  const a = attributes(line);
  return {
    name: line.split("=", 1)[0],
    path: a.get("path"),
    domain: a.get("domain"),
    secure: a.has("secure"),
    sameSite: a.get("samesite"),
    httpOnly: a.has("httponly"),
  };
}

function expectClears(r: Reply, issued: string): void {
  const line = r.sessionSetCookie;
  expect(line, r.setCookies.join(" | ")).toBeDefined();
  expect(scope(line!)).toEqual(scope(issued));
  expect(line!.split(";", 1)[0]!.endsWith("=")).toBe(true);
  const a = attributes(line!);
  expect(a.get("max-age")).toBe("0");
  expect(Date.parse(a.get("expires")!)).toBeLessThan(Date.now());
}

const HTTPS = { "x-forwarded-proto": "https" };
const scopedCookie = { path: "/app", domain: "example.test" };
const ways = FRAMEWORKS.flatMap(
  (framework) =>
    [
      [`${framework}, http, Path=/app, Domain=example.test`, framework, scopedCookie, {}],
      [`${framework}, https, Path=/app, Domain=example.test`, framework, scopedCookie, HTTPS],
      [`${framework}, https, __Host- (Path=/, no Domain)`, framework, {}, HTTPS],
    ] as const,
);

describe.each(ways)("clearing matches issuing (%s)", (_title, framework, cookie, headers) => {
  let started: SecApp;
  beforeAll(async () => {
    started = await startApp({ framework, trustProxy: true, idleTimeout: "30m", cookie });
  });
  afterAll(async () => {
    await started?.close();
  });
  const app = () => started;
  const c = () => new Client(app().url);
  const issue = async () => {
    const r = await c().post("/login/alice", { headers });
    expect(r.sessionSetCookie).toBeDefined();
    return { cookie: r.cookie!, issued: r.sessionSetCookie! };
  };

  it("on logout", async () => {
    const { cookie, issued } = await issue();
    expectClears(await c().post("/logout", { cookie, headers }), issued);
  });

  it("on a request after the idle timeout", async () => {
    const { cookie, issued } = await issue();
    app().clock.advance(31 * MIN);
    expectClears(await c().get("/who", { cookie, headers }), issued);
  });

  it("on a request after the session was revoked elsewhere", async () => {
    const { cookie, issued } = await issue();
    await app().manager.revokeUserSessions("alice");
    expectClears(await c().get("/who", { cookie, headers }), issued);
  });

  it("on a forged cookie of the session's name", async () => {
    const { cookie, issued } = await issue();
    const forged = `${cookie.slice(0, -3)}AAA`;
    expectClears(await c().get("/who", { cookie: forged, headers }), issued);
  });
});
