/**
 * CSRF against the demo, black-box, beyond what the demo contract already
 * proves (missing, empty, forged and other-session tokens → 403; pre-login
 * token dead after login): the token is masked per response and never
 * exposes the session token (BREACH; CheatSheetSeries #1143/#1493), lives
 * in no cookie (CSRF-02/03, SM-07), is not taken from the URL (CSRF-02), dies
 * at logout too (CSRF-05), state never changes on GET or HEAD (ASVS 5.0
 * V3.5.3, CSRF-10), and login itself is protected (CSRF-09, ASVS 5.0 V7.6.2)
 * against forged logins, mass assignment and parameter pollution (ASVS 5.0
 * V15.3.3, V15.3.7).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DemoClient, type DemoServer, startDemo, uniqueName } from "../support/demo-server.js";

let demo: DemoServer;
beforeAll(async () => {
  demo = await startDemo();
});
afterAll(async () => {
  await demo?.stop(true);
});

async function member() {
  const c = new DemoClient(demo.url);
  const username = uniqueName("c");
  const password = `pw-${username}-long-enough`;
  expect((await c.register(username, password)).status).toBe(303);
  return { c, username, password };
}

const putWith = (c: DemoClient, token: string, key = "k") =>
  c.request("PUT", `/api/session/${key}`, { json: 1, headers: { "x-csrf-token": token } });

describe("the CSRF token", () => {
  it("is masked afresh on every response; every mask verifies; none reveals the session token", async () => {
    const { c } = await member();
    const tokens = [await c.csrf(), await c.csrf(), await c.csrf()];
    expect(new Set(tokens).size).toBe(3);
    for (const t of tokens) expect((await putWith(c, t)).status).toBe(204);
    const session = c.jar.get("cloakroom")!;
    const [, random, mac] = session.split(".");
    for (const t of tokens) {
      const bytes = Buffer.from(t, "base64url");
      for (const part of [session, random!, mac!]) {
        expect(t).not.toContain(part.slice(0, 16));
        expect(bytes.toString("latin1")).not.toContain(
          Buffer.from(part, "base64url").toString("latin1").slice(0, 8),
        );
      }
    }
  });

  it("travels in no cookie: the only cookie the demo sets is the session's", async () => {
    const c = new DemoClient(demo.url);
    const r = await c.get("/api/csrf");
    expect(r.setCookies.map((l) => l.split("=", 1)[0])).toEqual(["cloakroom"]);
    const page = await c.get("/login");
    for (const l of page.setCookies) expect(l.split("=", 1)[0]).toBe("cloakroom");
  });

  it("is not accepted from the URL", async () => {
    const { c } = await member();
    const t = await c.csrf();
    const r = await c.request("POST", `/logout?_csrf=${encodeURIComponent(t)}`, { form: {} });
    expect(r.status).toBe(403);
    const put = await c.request("PUT", `/api/session/k?_csrf=${encodeURIComponent(t)}`, {
      json: 1,
    });
    expect(put.status).toBe(403);
    expect((await c.get("/api/me")).status).toBe(200);
  });

  it("taken before logout, is dead for the anonymous session that follows (CSRF-05)", async () => {
    const { c } = await member();
    const before = await c.csrf();
    expect((await c.post("/logout")).status).toBe(303);
    await c.csrf(); // the new anonymous session, with a secret of its own
    expect((await putWith(c, before)).status).toBe(403);
  });
});

describe("no credentialed cross-origin access (ASVS 4.0.3 V14.5.3, CSRF-11)", () => {
  it("no Access-Control-Allow-Origin for null, foreign or look-alike origins, preflight included", async () => {
    const { c } = await member();
    for (const origin of [
      "null",
      "https://evil.test",
      `${demo.url}.evil.test`,
      "http://127.0.0.1.evil.test",
    ]) {
      for (const r of [
        await c.get("/api/me", { headers: { origin } }),
        await c.request("OPTIONS", "/api/session/k", {
          headers: {
            origin,
            "access-control-request-method": "PUT",
            "access-control-request-headers": "x-csrf-token, content-type",
          },
        }),
      ]) {
        expect(r.headers.get("access-control-allow-origin"), origin).toBeNull();
        expect(r.headers.get("access-control-allow-credentials"), origin).toBeNull();
      }
    }
  });
});

describe("no state change without POST, PUT or DELETE", () => {
  it("GET and HEAD on the logout and revoke routes change nothing", async () => {
    const { c } = await member();
    for (const [method, path] of [
      ["GET", "/logout"],
      ["HEAD", "/logout"],
      ["GET", "/logout-all"],
      ["GET", "/sessions/revoke-others"],
      ["GET", "/api/session/k"],
    ] as const) {
      const r = await c.request(method, path);
      expect([404, 405], `${method} ${path}`).toContain(r.status);
    }
    expect((await c.get("/api/me")).status).toBe(200);
  });
});

describe("login CSRF and hostile login bodies", () => {
  it("a cross-site login with the attacker's credentials and no token is refused; the victim is not signed in as the attacker", async () => {
    const attacker = await member();
    const victim = new DemoClient(demo.url);
    await victim.request("PUT", "/api/session/draft", {
      json: "mine",
      headers: { "x-csrf-token": await victim.csrf() },
    });
    const forged = await victim.request("POST", "/login", {
      form: { username: attacker.username, password: attacker.password },
      headers: { origin: "https://evil.test", "sec-fetch-site": "cross-site" },
    });
    expect(forged.status).toBe(403);
    expect((await victim.get("/api/me")).status).toBe(401);
    expect((await victim.get("/api/session")).json()).toMatchObject({ data: { draft: "mine" } });
  });

  it("extra fields (role, roles, userId, isAdmin) are ignored at login (mass assignment)", async () => {
    const { username, password } = await member();
    const c = new DemoClient(demo.url);
    const r = await c.post("/login", {
      username,
      password,
      role: "admin",
      roles: "admin",
      userId: "1",
      isAdmin: "true",
    });
    expect(r.status).toBe(303);
    const me = (await c.get("/api/me")).json<{ username: string; roles: string[] }>();
    expect(me.username).toBe(username);
    expect(me.roles).not.toContain("admin");
  });

  it("repeated or mistyped credential fields never sign anyone in by type confusion, never a 500", async () => {
    const a = await member();
    const b = await member();
    const c = new DemoClient(demo.url);
    const csrf = await c.csrf();
    const attempts = [
      {
        body: `username=${a.username}&username=${b.username}&password=${b.password}&_csrf=${csrf}`,
        type: "application/x-www-form-urlencoded",
      },
      {
        body: `username[]=${a.username}&password=${a.password}&_csrf=${csrf}`,
        type: "application/x-www-form-urlencoded",
      },
      {
        body: JSON.stringify({ username: [a.username], password: a.password, _csrf: csrf }),
        type: "application/json",
      },
      {
        body: JSON.stringify({ username: a.username, password: [a.password], _csrf: csrf }),
        type: "application/json",
      },
      {
        body: JSON.stringify({ username: { $ne: null }, password: { $ne: null }, _csrf: csrf }),
        type: "application/json",
      },
      {
        body: JSON.stringify({
          username: a.username,
          password: "x".repeat(1_000_000),
          _csrf: csrf,
        }),
        type: "application/json",
      },
    ];
    for (const { body, type } of attempts) {
      const r = await c.request("POST", "/login", {
        body,
        headers: { "content-type": type, accept: "application/json" },
      });
      expect(r.status, body.slice(0, 80)).toBeGreaterThanOrEqual(400);
      expect(r.status, body.slice(0, 80)).toBeLessThan(500);
      expect((await c.get("/api/me")).status).toBe(401);
    }
  });
});
