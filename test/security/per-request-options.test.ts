/**
 * Per-request choices stay with their request (REL-55, REL-52): a
 * "remember me" login, or a request over HTTPS, must not change the cookie
 * another request gets (@fastify/session #324: a per-request override
 * leaked into later sessions and dropped HttpOnly; #342: Secure decided
 * globally instead of per request; cookie-session 1.2.0 shared
 * `req.sessionOptions`). Requests are interleaved and concurrent, on each
 * adapter: Express, Fastify and Hono (cloakroom-sessions/web).
 */

import { attributes, Client, type Reply } from "cloakroom-sessions/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FRAMEWORKS, type SecApp, startApp } from "../support/security.js";

const HTTPS = { "x-forwarded-proto": "https" };

function expectDefaults(r: Reply, secure: boolean, persistent: boolean): void {
  const line = r.sessionSetCookie!;
  const a = attributes(line);
  expect(a.has("httponly"), line).toBe(true);
  expect(a.get("samesite"), line).toBe("Lax");
  expect(a.get("path"), line).toBe("/");
  expect(a.has("secure"), line).toBe(secure);
  expect(line.startsWith("__Host-"), line).toBe(secure);
  expect(a.has("max-age"), line).toBe(persistent);
}

describe.each(FRAMEWORKS)("per-request options do not leak (%s)", (framework) => {
  let app: SecApp;
  let client: Client;
  beforeAll(async () => {
    app = await startApp({ framework, trustProxy: true });
    client = new Client(app.url);
  });
  afterAll(async () => {
    await app?.close();
  });

  it("a remember-me login, then a plain one: the plain one gets a browser-session cookie", async () => {
    expectDefaults(await client.post("/login/alice?remember=30"), false, true);
    expectDefaults(await client.post("/login/bob"), false, false);
    expectDefaults(await client.put("/set/a", 1), false, false);
  });

  it("an HTTPS request, then an HTTP one: Secure and __Host- only on the HTTPS one", async () => {
    expectDefaults(await client.put("/set/a", 1, { headers: HTTPS }), true, false);
    expectDefaults(await client.put("/set/a", 1), false, false);
    expectDefaults(await client.put("/set/a", 1, { headers: HTTPS }), true, false);
  });

  it("60 concurrent requests mixing HTTPS/HTTP and remember/plain: each gets exactly its own attributes", async () => {
    const jobs = Array.from({ length: 60 }, (_, i) => {
      const secure = i % 2 === 0;
      const persistent = i % 3 === 0;
      const path = persistent ? `/login/u${i}?remember=7` : `/login/u${i}`;
      return client
        .post(path, { headers: secure ? HTTPS : {} })
        .then((r) => ({ r, secure, persistent }));
    });
    for (const { r, secure, persistent } of await Promise.all(jobs)) {
      expectDefaults(r, secure, persistent);
    }
  });

  it("a persistent session keeps its Max-Age when re-issued, and a plain one never gains one", async () => {
    const remembered = await client.post("/login/carol?remember=7");
    const plain = await client.post("/login/dave");
    // Regenerate keeps the session's kind: remember-me stays persistent, plain stays plain.
    expectDefaults(await client.post("/regenerate", { cookie: remembered.cookie }), false, true);
    expectDefaults(await client.post("/regenerate", { cookie: plain.cookie }), false, false);
  });
});
