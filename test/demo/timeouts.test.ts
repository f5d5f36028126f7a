/**
 * The demo's time limits end what they should, on the server:
 * SESSION_IDLE_TIMEOUT ends a session left alone, SESSION_ABSOLUTE_TIMEOUT
 * ends one kept busy, and the sudo window (DEMO_SUDO_MAX_AGE) closes the
 * password change until the password is confirmed again — while the
 * CONTRACT §3 routes keep working with a CSRF token only.
 *
 * The demo is a child process, so its clock cannot be faked: the limits are
 * set to seconds (idle 2 s, absolute 5 s, sudo 1.5 s) and the three
 * scenarios run side by side, about 6 s of waiting in all. Deadlines are
 * bracketed by the request that set them: "still alive" is checked well
 * before the earliest possible deadline, "dead" after the latest.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { DemoClient, type DemoServer, startDemo, uniqueName } from "../support/demo-server.js";

const IDLE = 2_000;
const ABSOLUTE = 5_000;
const SUDO = 1_500;
/** Slack for a request on a loaded 2-core machine. */
const MARGIN = 400;
const PING_EVERY = 400;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

describe.concurrent("demo: idle, absolute and sudo timeouts", () => {
  let demo: DemoServer;
  const client = () => new DemoClient(demo.url);
  const me = async (c: DemoClient) => (await c.get("/api/me")).status;
  /** A new user signed in on a new client; `sent`/`done` bracket the login request. */
  const signIn = async (password = "timeout-password-1") => {
    const c = client();
    const username = uniqueName("t");
    await c.register(username, password);
    await c.csrf(); // the token fetch is not part of the bracket below
    const sent = performance.now();
    // A fresh login: the session's created time (absolute deadline) is set by this request.
    const r = await c.login(username, password);
    const done = performance.now();
    if (r.status !== 303) throw new Error(`login: ${r.status} ${r.text}`);
    return { c, username, password, sent, done };
  };

  beforeAll(async () => {
    demo = await startDemo({
      env: {
        SESSION_IDLE_TIMEOUT: `${IDLE / 1000}s`,
        SESSION_ABSOLUTE_TIMEOUT: `${ABSOLUTE / 1000}s`,
        DEMO_SUDO_MAX_AGE: `${SUDO}ms`,
      },
    });
  });
  afterAll(async () => {
    await demo?.stop(true);
  });

  it("SESSION_IDLE_TIMEOUT: a session left alone for longer is gone", async ({ expect }) => {
    const { c, sent } = await signIn();
    expect(await me(c)).toBe(200);
    const lastSeen = performance.now();
    await sleep(lastSeen + IDLE + MARGIN - performance.now());
    // Still inside the absolute lifetime, so only the idle limit can have ended it.
    expect(performance.now(), "the check came after the absolute deadline").toBeLessThan(
      sent + ABSOLUTE,
    );
    expect(await me(c)).toBe(401);
    // Pages too: the expired cookie is no session, not an error.
    const home = await c.get("/");
    expect(home.status).toBe(200);
    expect(home.text).not.toContain('data-testid="whoami"');
  });

  it("SESSION_ABSOLUTE_TIMEOUT: a session kept busy outlives the idle limit, then ends at the absolute one", async ({
    expect,
  }) => {
    const { c, sent, done } = await signIn();
    let lastAlive = 0;
    // Busy every PING_EVERY ms, so the idle deadline keeps sliding.
    while (performance.now() + MARGIN < sent + ABSOLUTE - MARGIN) {
      const at = performance.now();
      expect(await me(c), `${Math.round(at - sent)} ms after login`).toBe(200);
      lastAlive = at - sent;
      await sleep(PING_EVERY);
    }
    // Alive well past the idle limit: the limit that ends it next is the absolute one.
    expect(lastAlive).toBeGreaterThan(IDLE + MARGIN);
    await sleep(done + ABSOLUTE + MARGIN - performance.now());
    expect(await me(c)).toBe(401);
  });

  it("sudo mode: once the window closes, a password change needs the password confirmed; §3 routes do not", async ({
    expect,
  }) => {
    const { c, username, password, done } = await signIn();
    const other = client();
    expect((await other.login(username, password)).status).toBe(303);
    // Both stay busy (so idle does not end them) until the sudo window has closed.
    while (performance.now() < done + SUDO + MARGIN) {
      expect(await me(c)).toBe(200);
      expect(await me(other)).toBe(200);
      await sleep(PING_EVERY);
    }

    const page = await c.get("/account");
    expect(page.status).toBe(200);
    expect(page.text).toContain('action="/account/confirm"');
    expect(page.text).not.toContain('action="/account/password"');
    const early = await c.post("/account/password", { current: password, password: "sudo-pw-2" });
    expect(early.status).toBe(401);
    expect(early.text).toContain("confirm your password first");
    const json = await c.request("POST", "/account/password", {
      json: { current: password, password: "sudo-pw-2" },
      headers: { accept: "application/json", "x-csrf-token": await c.csrf() },
    });
    expect(json.status).toBe(401);
    expect(json.json()).toMatchObject({ reason: "reauth" });

    // CONTRACT §3: ending sessions takes the CSRF token only, sudo window or not.
    const others = await c.post("/sessions/revoke-others");
    expect(others.status).toBe(303);
    expect(others.headers.get("location")).toBe("/sessions?done=revoked-others");
    expect(await me(other)).toBe(401);

    expect((await c.post("/account/confirm", { password: "not-the-password" })).status).toBe(401);
    const before = c.jar.get("cloakroom");
    const confirmed = await c.post("/account/confirm", { password });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get("location")).toBe("/account?done=confirmed");
    expect(c.jar.get("cloakroom")).not.toBe(before); // a new token, as after a login
    const changed = await c.post("/account/password", { current: password, password: "sudo-pw-2" });
    expect(changed.status, changed.text).toBe(303);
    expect((await client().login(username, "sudo-pw-2")).status).toBe(303);
  });
});
