/**
 * `COOKIE_SECURE`: `true` gives the session cookie `Secure` and the
 * `__Host-` prefix (host-only, `Path=/`, RFC 6265bis §4.1.3.2) even over
 * plain HTTP; `false` never marks it Secure, whatever a client claims in
 * `X-Forwarded-Proto` (the demo trusts no proxy). A browser would not send
 * a Secure cookie back over plain HTTP, so this checks the Set-Cookie
 * header itself; the server side of the prefixed cookie is checked by
 * sending it back by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DemoClient, type DemoServer, startDemo, uniqueName } from "../support/demo-server.js";

const attributes = (line: string) =>
  line
    .split(";")
    .slice(1)
    .map((a) => a.trim().split("=")[0]!.toLowerCase());

describe("demo: COOKIE_SECURE", () => {
  let secure: DemoServer;
  let plain: DemoServer;

  beforeAll(async () => {
    [secure, plain] = await Promise.all([
      startDemo({ env: { COOKIE_SECURE: "true" } }),
      startDemo({ env: { COOKIE_SECURE: "false" } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([secure?.stop(true), plain?.stop(true)]);
  });

  it("true: the cookie is __Host-cloakroom, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain; it works", async () => {
    const c = new DemoClient(secure.url);
    const username = uniqueName("sec");
    const r = await c.register(username, "secure-cookie-pw");
    expect(r.status).toBe(303);
    const lines = r.setCookies.filter((l) => /^(__Host-)?cloakroom=/.test(l));
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toMatch(/^__Host-cloakroom=[A-Za-z0-9._~-]+;/);
    const attrs = attributes(line);
    expect(attrs).toEqual(expect.arrayContaining(["secure", "httponly", "samesite", "path"]));
    expect(attrs).not.toContain("domain");
    expect(line).toMatch(/;\s*Path=\/(;|$)/);
    expect(line).toMatch(/;\s*SameSite=Lax/i);
    // Every cookie the demo sets (the anonymous one before login too) carries the same name.
    expect(c.jar.has("cloakroom")).toBe(false);
    expect(c.jar.has("__Host-cloakroom")).toBe(true);
    // The server reads the prefixed name back: the session is there.
    expect((await c.get("/api/me")).json()).toMatchObject({ username });
    // The unprefixed name carrying the same token is not this app's cookie.
    const token = c.jar.get("__Host-cloakroom")!;
    const bare = await new DemoClient(secure.url).get("/api/me", {
      headers: { cookie: `cloakroom=${token}` },
    });
    expect(bare.status).toBe(401);
  });

  it("false: no Secure and no prefix, even when a client claims X-Forwarded-Proto: https", async () => {
    const c = new DemoClient(plain.url);
    const r = await c.request("GET", "/api/csrf", { headers: { "x-forwarded-proto": "https" } });
    expect(r.status).toBe(200);
    const line = r.setCookies.find((l) => /^(__Host-)?cloakroom=/.test(l));
    expect(line).toMatch(/^cloakroom=/);
    expect(attributes(line!)).not.toContain("secure");
  });
});
