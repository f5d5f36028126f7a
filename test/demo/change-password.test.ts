/**
 * The account page's password change over HTTP (cloakroom-sessions/auth
 * `changePassword`): every other session of the user dies, this one goes on
 * under a new token, the new password works and the old one does not; a
 * wrong current password, a password out of policy or a missing CSRF token
 * change nothing. The sudo window closing is in timeouts.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DemoClient, type DemoServer, startDemo, uniqueName } from "../support/demo-server.js";

describe("demo: change password (GET /account, POST /account/password)", () => {
  let demo: DemoServer;
  const client = () => new DemoClient(demo.url);
  /** One user signed in on three clients (three devices). */
  const threeDevices = async () => {
    const username = uniqueName("pw");
    const password = `old-${username}`;
    const a = client();
    expect((await a.register(username, password)).status).toBe(303);
    const b = client();
    const c = client();
    expect((await b.login(username, password)).status).toBe(303);
    expect((await c.login(username, password)).status).toBe(303);
    return { username, password, a, b, c };
  };
  const signedIn = async (c: DemoClient) => (await c.get("/api/me")).status === 200;

  beforeAll(async () => {
    demo = await startDemo();
  });
  afterAll(async () => {
    await demo?.stop(true);
  });

  it("GET /account: 303 to /login signed out; signed in, the header links it and it has the form", async () => {
    const anonymous = await client().get("/account");
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/login");

    const { a, username } = await threeDevices();
    const home = await a.get("/");
    expect(home.text).toMatch(/<nav>[\s\S]*<a href="\/account">Account<\/a>[\s\S]*<\/nav>/);
    const page = await a.get("/account");
    expect(page.status).toBe(200);
    expect(page.text).toContain(`data-testid="account-username">${username}<`);
    expect(page.text).toContain('<a href="/sessions">3 devices</a>');
    // Just logged in: inside the sudo window, so the change form is open, not the confirm form.
    expect(page.text).toContain('action="/account/password"');
    expect(page.text).not.toContain('action="/account/confirm"');
    for (const name of ["current", "password", "_csrf"]) {
      expect(page.text).toContain(`name="${name}"`);
    }
  });

  it("a change ends every other session, rotates this one, and swaps the passwords", async () => {
    const { username, password, a, b, c } = await threeDevices();
    const before = a.jar.get("cloakroom");
    const stolen = a.clone(); // the pre-change cookie, as a thief would hold it

    const r = await a.post("/account/password", { current: password, password: "new-password-1" });
    expect(r.status, r.text).toBe(303);
    expect(r.headers.get("location")).toBe("/account?done=password-changed");
    const after = a.jar.get("cloakroom");
    expect(after).toBeDefined();
    expect(after).not.toBe(before);

    expect(await signedIn(a)).toBe(true);
    expect(await signedIn(stolen)).toBe(false);
    expect(await signedIn(b)).toBe(false);
    expect(await signedIn(c)).toBe(false);
    const list = (await a.get("/api/sessions")).json<{ sessions: { current: boolean }[] }>();
    expect(list.sessions.map((s) => s.current)).toEqual([true]);
    expect((await a.get("/account?done=password-changed")).text).toContain("Password changed.");

    expect((await client().login(username, password)).status).toBe(401);
    expect((await client().login(username, "new-password-1")).status).toBe(303);
  });

  it("a wrong current password: 401, nothing changes", async () => {
    const { username, password, a, b } = await threeDevices();
    const before = a.jar.get("cloakroom");
    const r = await a.post("/account/password", {
      current: "not-it-at-all",
      password: "x-new-pw-1",
    });
    expect(r.status).toBe(401);
    expect(r.text).toContain("Your current password is not right.");
    expect(a.jar.get("cloakroom")).toBe(before);
    expect(await signedIn(b)).toBe(true);
    expect((await client().login(username, "x-new-pw-1")).status).toBe(401);
    expect((await client().login(username, password)).status).toBe(303);
  });

  it("a new password out of policy: 400 with the reason, nothing changes", async () => {
    const { username, password, a, b } = await threeDevices();
    const r = await a.post("/account/password", { current: password, password: "short" });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/class="error"[^>]*>[^<]*8/); // names the minimum length
    expect(r.text).not.toContain("short<");
    expect(await signedIn(b)).toBe(true);
    expect((await client().login(username, password)).status).toBe(303);
  });

  it("without its CSRF token: 403, nothing changes", async () => {
    const { username, password, a, b } = await threeDevices();
    const r = await a.request("POST", "/account/password", {
      form: { current: password, password: "csrf-less-pw-1" },
    });
    expect(r.status).toBe(403);
    expect(await signedIn(b)).toBe(true);
    expect((await client().login(username, password)).status).toBe(303);
  });

  it("JSON clients: 204 on success, the reason as JSON on failure", async () => {
    const { password, a, b } = await threeDevices();
    const headers = { accept: "application/json", "x-csrf-token": await a.csrf() };
    const wrong = await a.request("POST", "/account/password", {
      json: { current: "wrong-wrong", password: "json-new-pw-1" },
      headers,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toHaveProperty("error");
    const ok = await a.request("POST", "/account/password", {
      json: { current: password, password: "json-new-pw-1" },
      headers,
    });
    expect(ok.status).toBe(204);
    expect(await signedIn(a)).toBe(true);
    expect(await signedIn(b)).toBe(false);
  });
});
