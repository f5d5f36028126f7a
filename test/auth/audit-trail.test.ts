/**
 * The audit trail: every flow of `cloakroom-sessions/auth` emits its event
 * with time, user, session handle, IP and user agent, and never a password,
 * a token or a store key; the JSON-lines sinks write one parseable line each.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import {
  AUDIT_EVENT_TYPES,
  type AuditEvent,
  auditFile,
  auditJsonLines,
  auditToLogger,
  createLoginThrottle,
} from "../../src/auth/index.js";
import { storeKeyOf } from "../../src/core/token.js";
import { memoryApp, SECRET, signIn, UA } from "../support/auth-fixture.js";

const HANDLE = /^[A-Za-z0-9_-]{22}$/;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function recorder() {
  const events: AuditEvent[] = [];
  const app = memoryApp({ onEvent: (e) => events.push(e) });
  return { app, events, types: () => events.map((e) => e.type) };
}

/** The token, its parts and its store key: none of them may appear in an event. */
async function secretsOf(cookie: string): Promise<string[]> {
  const token = cookie.slice(cookie.indexOf("=") + 1);
  const [, secret, mac] = token.split(".") as [string, string, string];
  return [token, secret, mac, await storeKeyOf(secret), SECRET];
}

describe("audit events of each flow", () => {
  it("login succeeded / failed / throttled carry who, where and which session", async () => {
    const events: AuditEvent[] = [];
    const app = memoryApp({
      onEvent: (e) => events.push(e),
      throttle: undefined,
    });
    const throttled = memoryApp({
      onEvent: (e) => events.push(e),
      throttle: createLoginThrottle({
        store: new (await import("../../src/stores/memory/index.js")).MemoryStore({
          sweepInterval: 0,
        }),
        userFreeAttempts: 1,
      }),
    });
    const id = await app.users.add("alice", "correct horse", ["user"]);
    const s = await app.open(null, UA.firefoxLinux, "198.51.100.7");
    await app.auth.login(s, { username: "alice", password: "wrong horse", ip: "198.51.100.7" });
    const { cookie } = await signIn(app, "alice", "correct horse");
    const fail = events[0]!;
    expect(fail).toMatchObject({
      type: "login.failed",
      reason: "invalid",
      username: "alice",
      userId: id, // the owner sees attempts on their account
      ip: "198.51.100.7",
      userAgent: UA.firefoxLinux,
      session: null,
    });
    expect(Date.parse(fail.time)).toBe(app.clock.t);
    const ok = events[1]!;
    expect(ok).toMatchObject({ type: "login.succeeded", userId: id, method: "password" });
    expect(ok.session).toMatch(HANDLE);
    // The handle of the session the login created, as the device list shows it.
    const after = await app.open(cookie);
    expect(ok.session).toBe(after.id);

    await throttled.users.add("bob", "correct horse");
    for (let i = 0; i < 2; i++) {
      const t = await throttled.open();
      await throttled.auth.login(t, { username: "bob", password: "nope nope", ip: "192.0.2.5" });
    }
    expect(events.slice(2).map((e) => e.type)).toEqual(["login.failed", "login.throttled"]);
    expect(events[3]!.retryAfterSeconds).toBeGreaterThan(0);
    expect(JSON.stringify(events)).not.toContain("horse");
    expect(JSON.stringify(events)).not.toContain("nope");
  });

  it("logout, logout everywhere, revoke one and revoke others", async () => {
    const { app, events, types } = recorder();
    const id = await app.users.add("alice", "correct horse");
    const a = await signIn(app, "alice", "correct horse");
    const b = await signIn(app, "alice", "correct horse", { userAgent: UA.safariIphone });
    const c = await signIn(app, "alice", "correct horse", { userAgent: UA.chromeWindows });
    const d = await signIn(app, "alice", "correct horse");
    events.length = 0;

    const sa = await app.open(a.cookie);
    const handleA = sa.id;
    const sb = await app.open(b.cookie);
    const handleB = sb.id!;
    expect(await app.auth.revokeSession(sa, handleB)).toBe(true);
    await app.finish(sa, a.cookie);
    expect(events.at(-1)).toMatchObject({
      type: "session.revoked",
      by: "user",
      scope: "one",
      target: handleB,
      count: 1,
      userId: id,
      session: handleA,
    });

    const sc = await app.open(c.cookie, UA.chromeWindows);
    expect(await app.auth.revokeOthers(sc)).toBe(2); // a and d
    expect(events.at(-1)).toMatchObject({
      type: "session.revoked",
      by: "user",
      scope: "others",
      count: 2,
      session: sc.id,
      userAgent: UA.chromeWindows,
    });

    await app.auth.logout(sc);
    expect(events.at(-1)).toMatchObject({ type: "logout", userId: id });
    expect(events.at(-1)!.session).toMatch(HANDLE);
    await app.finish(sc, c.cookie);

    const e = await signIn(app, "alice", "correct horse");
    await signIn(app, "alice", "correct horse");
    const se = await app.open(e.cookie);
    const handleE = se.id;
    expect(await app.auth.logoutEverywhere(se)).toBe(2);
    expect(events.at(-1)).toMatchObject({
      type: "logout.everywhere",
      userId: id,
      session: handleE,
      count: 2,
    });
    expect(types()).toEqual([
      "session.revoked",
      "session.revoked",
      "logout",
      "login.succeeded",
      "login.succeeded",
      "logout.everywhere",
    ]);
    void d;
  });

  it("sudo confirmations, password changes and the revocations they cause", async () => {
    const { app, events } = recorder();
    const id = await app.users.add("alice", "correct horse");
    const a = await signIn(app, "alice", "correct horse");
    await signIn(app, "alice", "correct horse");
    await signIn(app, "alice", "correct horse");
    events.length = 0;
    const first = await app.open(a.cookie);
    const before = first.id;
    await app.auth.reauthenticate(first, "wrong one");
    await app.auth.reauthenticate(first, "correct horse");
    // The next request, on the token the confirmation rotated to.
    const { cookie } = await app.finish(first, a.cookie);
    const s = await app.open(cookie);
    const handle = s.id;
    expect(handle).not.toBe(before);
    await app.auth.changePassword(s, { current: "correct horse", next: "x" });
    await app.auth.changePassword(s, { current: "correct horse", next: "battery staple 42" });
    expect(events.map((e) => [e.type, e.reason ?? e.by ?? null])).toEqual([
      ["sudo.failed", "invalid"],
      ["sudo.confirmed", null],
      ["password.change_failed", "policy"],
      ["password.changed", null],
      ["session.revoked", "password-change"],
    ]);
    expect(events.at(-1)).toMatchObject({ userId: id, count: 2, session: handle });
    expect(events[1]!.session).toBe(before);
    expect(JSON.stringify(events)).not.toMatch(/horse|staple/);
  });

  it("the session cap, admin revocations, role changes, refusals and CSRF", async () => {
    const events: AuditEvent[] = [];
    const app = memoryApp({ onEvent: (e) => events.push(e), maxSessionsPerUser: 2 });
    const alice = await app.users.add("alice", "correct horse", ["user"]);
    const admin = await app.users.add("root", "admin horse", ["admin"]);
    await signIn(app, "alice", "correct horse");
    await signIn(app, "alice", "correct horse");
    await signIn(app, "alice", "correct horse");
    expect(events.at(-1)).toMatchObject({ type: "session.revoked", by: "cap", count: 1 });

    const root = await signIn(app, "root", "admin horse");
    const rs = await app.open(root.cookie, UA.chromeWindows, "192.0.2.77");
    expect(await app.auth.revokeUser(alice, { by: rs })).toBe(2);
    expect(events.at(-1)).toMatchObject({
      type: "session.revoked",
      by: "admin",
      userId: alice,
      actor: admin,
      count: 2,
      session: rs.id,
      ip: "192.0.2.77",
    });
    app.auth.audit(rs, { type: "role.changed", userId: alice, actor: admin, roles: ["admin"] });
    expect(events.at(-1)).toMatchObject({
      type: "role.changed",
      userId: alice,
      actor: admin,
      roles: ["admin"],
      session: rs.id,
    });

    const ok = app.auth.checkCsrf(rs, "POST", "forged", { path: "/admin/users/x/revoke" });
    expect(ok).toEqual({ ok: false, status: 403, reason: "csrf" });
    expect(events.at(-1)).toMatchObject({
      type: "csrf.refused",
      method: "POST",
      path: "/admin/users/x/revoke",
      userId: admin,
      session: rs.id,
    });
    expect(app.auth.checkCsrf(rs, "GET", undefined).ok).toBe(true);
    expect(events.at(-1)!.type).toBe("csrf.refused"); // no event for a pass

    const bob = await app.users.add("bob", "correct horse", ["user"]);
    const b = await signIn(app, "bob", "correct horse");
    await app.auth.requireRole(await app.open(b.cookie), "admin");
    expect(events.at(-1)).toMatchObject({ type: "access.denied", userId: bob, need: ["admin"] });
  });

  it("refused cookies, by reason, from the core", async () => {
    const { app, events } = recorder();
    await app.users.add("alice", "correct horse");
    const a = await signIn(app, "alice", "correct horse");
    const [name, token] = a.cookie.split("=") as [string, string];
    events.length = 0;
    await app.open(`${name}=garbage`, UA.curl, "203.0.113.66");
    const forged = `${token.slice(0, -4)}AAAA`;
    await app.open(`${name}=${forged}`);
    // Past the idle timeout: stores answer null for an expired record, so the
    // core cannot tell it from a revoked one: "unknown", with its handle.
    app.clock.advance(31 * 60_000);
    await app.open(a.cookie);
    expect(events.map((e) => [e.type, e.reason])).toEqual([
      ["cookie.refused", "malformed"],
      ["cookie.refused", "bad_signature"],
      ["cookie.refused", "unknown"],
    ]);
    expect(events[0]).toMatchObject({ ip: "203.0.113.66", userAgent: UA.curl, session: null });
    expect(events[1]!.session).toBeNull();
    expect(events[2]!.session).toMatch(HANDLE);
    const text = JSON.stringify(events);
    for (const secret of await secretsOf(a.cookie)) expect(text).not.toContain(secret);
  });

  it("every documented type is a stable string, and docs/operations.md lists each", () => {
    const doc = readFileSync(new URL("../../docs/operations.md", import.meta.url), "utf8");
    for (const t of AUDIT_EVENT_TYPES) expect(doc).toContain(`\`${t}\``);
  });
});

describe("sinks", () => {
  it("JSON lines to a stream: one parseable object per line", async () => {
    const stream = new PassThrough();
    let out = "";
    stream.on("data", (b: Buffer) => {
      out += b.toString();
    });
    const app = memoryApp({ onEvent: auditJsonLines(stream) });
    await app.users.add("alice", "correct horse");
    await signIn(app, "alice", "correct horse");
    await app.auth.login(await app.open(), { username: "alice", password: "wrong\nhorse" });
    const lines = out.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => (JSON.parse(l) as AuditEvent).type)).toEqual([
      "login.succeeded",
      "login.failed",
    ]);
    expect(out).not.toContain("horse");
  });

  it("a file: appended, mode 0600, directories created; the logger gets the same events", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cloakroom-audit-"));
    dirs.push(dir);
    const path = join(dir, "nested", "audit.jsonl");
    const file = auditFile(path);
    const logged: [string, AuditEvent][] = [];
    const app = memoryApp({
      onEvent: [file, auditToLogger({ info: (m, e) => logged.push([m, e]) })],
    });
    await app.users.add("alice", "correct horse");
    await signIn(app, "alice", "correct horse");
    // Written synchronously: on disk before the call returns.
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l))).toEqual(logged.map(([, e]) => e));
    expect(logged[0]![0]).toBe("audit login.succeeded");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await file.close();
    await signIn(app, "alice", "correct horse");
    expect(readFileSync(path, "utf8").trimEnd().split("\n")).toHaveLength(1);

    const buffered = auditFile(path, { sync: false });
    buffered({ ...(JSON.parse(lines[0]!) as AuditEvent), type: "logout" });
    await buffered.close();
    expect(
      readFileSync(path, "utf8")
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l).type),
    ).toEqual(["login.succeeded", "logout"]);
  });

  it("a throwing sink is logged and the others still get the event", async () => {
    const seen: AuditEvent[] = [];
    const app = memoryApp({
      onEvent: [
        () => {
          throw new Error("disk full");
        },
        (e) => seen.push(e),
      ],
    });
    const errors: unknown[] = [];
    app.sessions.options.logger.error = (...args) => errors.push(args);
    await app.users.add("alice", "correct horse");
    await signIn(app, "alice", "correct horse");
    expect(seen.map((e) => e.type)).toEqual(["login.succeeded"]);
    expect(errors).toHaveLength(1);
  });
});
