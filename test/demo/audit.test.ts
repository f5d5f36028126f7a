/**
 * The demo's audit trail over HTTP: every flow appends its event to
 * `AUDIT_LOG` (JSON lines, CONTRACT §3) with user, session handle, IP and
 * user agent and never a password or token, and the account page shows the
 * user their own recent events ("Signed in from Firefox on Linux, …").
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../src/auth/index.js";
import {
  ADMIN,
  DemoClient,
  type DemoServer,
  startDemo,
  uniqueName,
} from "../support/demo-server.js";

const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const SAFARI =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const HANDLE = /^[A-Za-z0-9_-]{22}$/;

describe("demo: audit trail (AUDIT_LOG)", () => {
  let demo: DemoServer;
  let logPath: string;
  const read = (): AuditEvent[] =>
    readFileSync(logPath, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as AuditEvent);
  /** Events appended while `fn` runs. */
  const during = async (fn: () => Promise<unknown>): Promise<AuditEvent[]> => {
    const before = read().length;
    await fn();
    return read().slice(before);
  };
  const as = (ua: string) => {
    const c = new DemoClient(demo.url);
    const post = c.post.bind(c);
    c.post = (path, form = {}, headers = {}) => post(path, form, { "user-agent": ua, ...headers });
    const get = c.get.bind(c);
    c.get = (path, options = {}) =>
      get(path, { ...options, headers: { "user-agent": ua, ...options.headers } });
    return c;
  };
  const userIdOf = (events: AuditEvent[], type: string) =>
    events.find((e) => e.type === type)?.userId;

  beforeAll(async () => {
    demo = await startDemo({ env: { AUDIT_LOG: "audit/trail.jsonl" } });
    logPath = join(demo.dataDir, "audit", "trail.jsonl");
    // The seeded admin has not logged in yet; make sure the file exists.
    const c = as(FIREFOX);
    await c.login(ADMIN.username, "wrong password");
  });
  afterAll(async () => {
    await demo?.stop(true);
  });

  it("register, failed and good logins, logout: each event with who, where and which session", async () => {
    const name = uniqueName("au");
    const password = `pw-${name}-long`;
    const a = as(FIREFOX);
    const reg = await during(() => a.register(name, password));
    expect(reg.map((e) => e.type)).toEqual(["login.succeeded"]);
    const userId = reg[0]!.userId;
    expect(reg[0]).toMatchObject({
      username: name,
      ip: "127.0.0.1",
      userAgent: FIREFOX,
      method: "password",
    });
    expect(reg[0]!.session).toMatch(HANDLE);

    const b = as(SAFARI);
    const failed = await during(() => b.login(name, "not the password"));
    expect(failed).toEqual([
      expect.objectContaining({
        type: "login.failed",
        reason: "invalid",
        username: name,
        userId,
        userAgent: SAFARI,
      }),
    ]);
    const ok = await during(() => b.login(name, password));
    expect(ok.map((e) => e.type)).toEqual(["login.succeeded"]);
    const sessions = (await b.get("/api/sessions")).json<{
      sessions: { id: string; current: boolean }[];
    }>().sessions;
    expect(sessions.find((s) => s.current)!.id).toBe(ok[0]!.session);

    const out = await during(() => b.post("/logout"));
    expect(out).toEqual([
      expect.objectContaining({ type: "logout", userId, session: ok[0]!.session }),
    ]);
    const text = readFileSync(logPath, "utf8");
    expect(text).not.toContain(password);
    expect(text).not.toContain("not the password");
    for (const v of a.jar.values()) expect(text).not.toContain(v.split(".")[1]!);
  });

  it("throttling, revoke one, revoke others, log out everywhere", async () => {
    const name = uniqueName("av");
    const password = `pw-${name}-long`;
    const a = as(FIREFOX);
    await a.register(name, password);
    const b = as(SAFARI);
    await b.login(name, password);
    const c = as(FIREFOX);
    await c.login(name, password);
    const d = as(FIREFOX);
    await d.login(name, password);

    const bSessions = (await b.get("/api/sessions")).json<{
      sessions: { id: string; current: boolean }[];
    }>().sessions;
    const bHandle = bSessions.find((s) => s.current)!.id;
    const aHandle = (await a.get("/api/sessions"))
      .json<{ sessions: { id: string; current: boolean }[] }>()
      .sessions.find((s) => s.current)!.id;
    const one = await during(() => a.post(`/sessions/${bHandle}/revoke`));
    expect(one).toEqual([
      expect.objectContaining({
        type: "session.revoked",
        by: "user",
        scope: "one",
        target: bHandle,
        session: aHandle,
      }),
    ]);
    const others = await during(() => a.post("/sessions/revoke-others"));
    expect(others).toEqual([
      expect.objectContaining({ type: "session.revoked", by: "user", scope: "others", count: 2 }),
    ]);
    await c.login(name, password);
    const all = await during(() => a.post("/logout-all"));
    expect(all).toEqual([expect.objectContaining({ type: "logout.everywhere", count: 2 })]);

    const t = as(FIREFOX);
    const throttled = await during(async () => {
      for (let i = 0; i < 7; i++) await t.login(name, `wrong-${i}`);
    });
    expect(throttled.map((e) => e.type)).toContain("login.throttled");
    expect(throttled.find((e) => e.type === "login.throttled")!.retryAfterSeconds).toBeGreaterThan(
      0,
    );
  });

  it("sudo confirmation and password change; the account page lists them in words", async () => {
    const name = uniqueName("aw");
    const password = `pw-${name}-long`;
    const a = as(FIREFOX);
    await a.register(name, password);
    const b = as(SAFARI);
    await b.login(name, password);
    const wrong = await during(() => a.post("/account/confirm", { password: "nope nope nope" }));
    expect(wrong.map((e) => [e.type, e.reason])).toEqual([["sudo.failed", "invalid"]]);
    const sudo = await during(() => a.post("/account/confirm", { password }));
    expect(sudo.map((e) => e.type)).toEqual(["sudo.confirmed"]);
    const change = await during(() =>
      a.post("/account/password", { current: password, password: `${password}-new` }),
    );
    expect(change.map((e) => [e.type, e.by ?? null, e.count ?? null])).toEqual([
      ["password.changed", null, null],
      ["session.revoked", "password-change", 1],
    ]);

    const page = await a.get("/account");
    expect(page.status).toBe(200);
    const section = page.text.slice(page.text.indexOf('data-testid="security-events"'));
    expect(section).toMatch(/Signed in<\/strong> from Firefox on Linux \(127\.0\.0\.1\), <time/);
    expect(section).toContain("Changed your password");
    expect(section).toContain("1 other session ended by the password change");
    expect(section).toContain("Confirmed your password");
    expect(section).toContain("Wrong password when confirming");
    // Newest first.
    expect(section.indexOf("ended by the password change")).toBeLessThan(
      section.indexOf("Signed in</strong>"),
    );
    // This user's six events (the Safari one is their second device), no one else's.
    expect(section).toContain("Signed in</strong> from Safari on iPhone");
    expect(section.match(/<li>/g)).toHaveLength(6);
  });

  it("admin: forced logout and role change; refusals: CSRF, forbidden pages, bad cookies", async () => {
    const name = uniqueName("ax");
    const password = `pw-${name}-long`;
    const u = as(SAFARI);
    const reg = await during(() => u.register(name, password));
    const userId = reg[0]!.userId;
    const admin = as(FIREFOX);
    const adminLogin = await during(() => admin.login(ADMIN.username, ADMIN.password));
    const adminId = userIdOf(adminLogin, "login.succeeded");

    const role = await during(() =>
      admin.post(`/admin/users/${name}/roles`, { role: "admin", action: "add" }),
    );
    expect(role).toEqual([
      expect.objectContaining({
        type: "role.changed",
        userId,
        actor: adminId,
        roles: ["admin", "member"],
      }),
    ]);
    const forced = await during(() => admin.post(`/admin/users/${name}/revoke`));
    expect(forced).toEqual([
      expect.objectContaining({
        type: "session.revoked",
        by: "admin",
        userId,
        actor: adminId,
        count: 1,
        userAgent: FIREFOX,
      }),
    ]);

    const csrf = await during(() =>
      admin.request("POST", "/sessions/revoke-others", { form: { _csrf: "forged" } }),
    );
    expect(csrf).toEqual([
      expect.objectContaining({
        type: "csrf.refused",
        method: "POST",
        path: "/sessions/revoke-others",
        userId: adminId,
      }),
    ]);

    const member = as(SAFARI);
    const other = uniqueName("ay");
    await member.register(other, password);
    const denied = await during(() => member.get("/admin"));
    expect(denied).toEqual([
      expect.objectContaining({ type: "access.denied", need: ["admin"], userAgent: SAFARI }),
    ]);

    const cookieName = [...admin.jar.keys()][0]!;
    const garbage = await during(() =>
      fetch(`${demo.url}/api/me`, { headers: { cookie: `${cookieName}=v1.garbage` } }),
    );
    expect(garbage).toEqual([
      expect.objectContaining({ type: "cookie.refused", reason: "malformed", ip: "127.0.0.1" }),
    ]);
    const token = admin.jar.get(cookieName)!;
    const forged = `${token.slice(0, -4)}AAAA`;
    const bad = await during(() =>
      fetch(`${demo.url}/api/me`, { headers: { cookie: `${cookieName}=${forged}` } }),
    );
    expect(bad.map((e) => [e.type, e.reason])).toEqual([["cookie.refused", "bad_signature"]]);
    const gone = u.clone(); // revoked by the admin above
    const unknown = await during(() => gone.get("/api/me"));
    expect(unknown.map((e) => [e.type, e.reason])).toEqual([["cookie.refused", "unknown"]]);
  });
});
