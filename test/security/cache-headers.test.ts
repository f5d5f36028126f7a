/**
 * Nothing session-bound is kept by a shared cache (ASVS 5.0 V14.2.2,
 * V14.3.2; ASVS 4.0.3 V8.2.1; SM-10; Flask-Session 0.7.0 "add Vary:
 * Cookie"): against the demo, every page and API answer that depends on the
 * session, and every answer carrying Set-Cookie, says `no-store`, and the
 * ones that read the session say `Vary: Cookie`. Cache-deception paths
 * (`/api/me.json`, `/api/me/x.css`) do not serve the user's data. (The
 * library's own `private, no-store` on Set-Cookie answers is in the adapter
 * suite.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DemoClient,
  type DemoServer,
  type Reply,
  startDemo,
  uniqueName,
} from "../support/demo-server.js";

let demo: DemoServer;
beforeAll(async () => {
  demo = await startDemo();
});
afterAll(async () => {
  await demo?.stop(true);
});

const listHas = (h: string | null, token: string) =>
  (h ?? "")
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .includes(token);

function expectNoStore(r: Reply, what: string): void {
  expect(
    listHas(r.headers.get("cache-control"), "no-store"),
    `${what}: ${r.headers.get("cache-control")}`,
  ).toBe(true);
}

describe("cache headers", () => {
  it("signed-in pages, the API, login and logout answers: no-store, and Vary: Cookie where the session was read", async () => {
    const c = new DemoClient(demo.url);
    const username = uniqueName("h");
    const password = `pw-${username}-long-enough`;
    const reg = await c.register(username, password);
    expectNoStore(reg, "POST /register");
    for (const path of [
      "/",
      "/sessions",
      "/api/me",
      "/api/sessions",
      "/api/session",
      "/api/csrf",
    ]) {
      const r = await c.get(path);
      expect(r.status, path).toBe(200);
      expectNoStore(r, path);
      expect(
        listHas(r.headers.get("vary"), "cookie"),
        `${path}: Vary ${r.headers.get("vary")}`,
      ).toBe(true);
    }
    const login = await new DemoClient(demo.url).login(username, password);
    expect(login.setCookies.length).toBeGreaterThan(0);
    expectNoStore(login, "POST /login");
    const out = await c.post("/logout");
    expectNoStore(out, "POST /logout");
  });

  it("cache-deception paths do not serve the user's data", async () => {
    const c = new DemoClient(demo.url);
    const username = uniqueName("h");
    await c.register(username, `pw-${username}-long-enough`);
    for (const path of [
      "/api/me.json",
      "/api/me/x.css",
      "/api/me/.css",
      "/sessions/x.css",
      "/api/session.js",
    ]) {
      const r = await c.get(path);
      expect(r.text.includes(username), path).toBe(false);
      if (r.status === 200) expectNoStore(r, path);
    }
  });
});
