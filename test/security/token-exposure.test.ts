/**
 * The session token travels only in Set-Cookie and Cookie: never in a
 * body, a Location, another header, the log, or a URL the server accepts
 * (ASVS 4.0.3 V3.1.1, V3.2.3, V3.5.2, V7.1.1; ASVS 5.0 V3.3.4, V14.2.1,
 * V16.2.5). Black-box against the demo through a full visit: register,
 * pages, the JSON API, devices, admin refusal, logout.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DemoClient,
  type DemoServer,
  type Reply,
  startDemo,
  TEST_SECRET,
  uniqueName,
} from "../support/demo-server.js";

let demo: DemoServer;
beforeAll(async () => {
  demo = await startDemo();
});
afterAll(async () => {
  await demo?.stop(true);
});

/** The full token and each of its parts worth hiding. */
const secretsOf = (token: string) => {
  const [, random, mac] = token.split(".");
  return [token, random!, mac!];
};

function expectNoToken(r: Reply, tokens: string[], what: string): void {
  for (const t of tokens) {
    expect(r.text.includes(t), `${what}: body`).toBe(false);
    for (const [name, value] of r.headers) {
      if (name !== "set-cookie") expect(value.includes(t), `${what}: header ${name}`).toBe(false);
    }
  }
}

describe("the session token is only ever in cookies", () => {
  it("a whole visit shows it in no body, Location or other header, and in no log line", async () => {
    const c = new DemoClient(demo.url);
    const username = uniqueName("t");
    const password = `pw-${username}-long-enough`;
    const seen = new Set<string>();
    const track = () => {
      const t = c.jar.get("cloakroom");
      if (t) for (const s of secretsOf(t)) seen.add(s);
    };
    const visit: [string, () => Promise<Reply>][] = [
      ["GET /", () => c.get("/")],
      ["GET /register", () => c.get("/register")],
      ["POST /register", () => c.register(username, password)],
      ["GET /", () => c.get("/")],
      ["GET /sessions", () => c.get("/sessions")],
      ["GET /api/sessions", () => c.get("/api/sessions")],
      ["GET /api/me", () => c.get("/api/me")],
      ["GET /api/session", () => c.get("/api/session")],
      ["GET /api/csrf", () => c.get("/api/csrf")],
      ["GET /admin", () => c.get("/admin")],
      ["POST /login (wrong)", () => c.login(username, "wrong-password-xyz")],
      ["POST /login", () => c.login(username, password)],
      ["GET /sessions", () => c.get("/sessions")],
      ["POST /logout", () => c.post("/logout")],
      ["GET /login", () => c.get("/login")],
    ];
    const replies: [string, Reply][] = [];
    for (const [what, step] of visit) {
      track();
      const r = await step();
      track();
      replies.push([what, r]);
    }
    expect(seen.size).toBeGreaterThanOrEqual(9); // at least three distinct tokens went by
    for (const [what, r] of replies) expectNoToken(r, [...seen], what);
    const logs = demo.logs();
    for (const s of seen) expect(logs.includes(s), "log").toBe(false);
    expect(logs.includes(password), "password in log").toBe(false);
  });

  it("a token offered anywhere but the cookie is not accepted (URL, path parameter, other headers)", async () => {
    const c = new DemoClient(demo.url);
    const username = uniqueName("t");
    await c.register(username, `pw-${username}-long-enough`);
    const t = c.jar.get("cloakroom")!;
    expect((await c.get("/api/me")).status).toBe(200);
    const bare = new DemoClient(demo.url);
    for (const path of [
      `/api/me?sid=${t}`,
      `/api/me?cloakroom=${t}`,
      `/api/me;jsessionid=${t}`,
      `/api/me;cloakroom=${t}`,
    ]) {
      expect([401, 404], path).toContain((await bare.get(path)).status);
    }
    const offers: Record<string, string>[] = [
      { authorization: `Bearer ${t}` },
      { "x-session-token": t },
      { "x-cloakroom": t },
      // ASVS 4.0.3 V3.5.2: the app secret is no credential either.
      { authorization: `Bearer ${TEST_SECRET}` },
    ];
    for (const headers of offers) {
      expect((await bare.get("/api/me", { headers })).status).toBe(401);
    }
  });
});
