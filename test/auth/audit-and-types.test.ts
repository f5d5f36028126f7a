/**
 * The public API's types narrow the way the docs promise, and the audit hook
 * sees every login attempt and refusal — never a password.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import type { AuthEvent, GuardResult, LoginResult, User } from "../../src/auth/index.js";
import { memoryApp, signIn } from "../support/auth-fixture.js";

describe("public types", () => {
  it("narrow results by ok and reason", () => {
    const narrow = (r: LoginResult) => {
      if (r.ok) expectTypeOf(r.user).toEqualTypeOf<User>();
      else if (r.reason === "throttled") expectTypeOf(r.retryAfterSeconds).toBeNumber();
    };
    const guard = (g: GuardResult<User & { email: string }>) => {
      if (g.ok) expectTypeOf(g.user.email).toBeString();
      else expectTypeOf(g.status).toEqualTypeOf<401 | 403>();
    };
    expect(typeof narrow).toBe("function");
    expect(typeof guard).toBe("function");
  });
});

describe("audit events", () => {
  it("one per login attempt and per refusal, without the password", async () => {
    const events: AuthEvent[] = [];
    const app = memoryApp({ onEvent: (e) => events.push(e) });
    await app.users.add("alice", "correct horse", ["user"]);
    const s = await app.open();
    await app.auth.login(s, { username: "alice", password: "wrong horse", ip: "192.0.2.1" });
    await app.auth.login(s, { username: "nobody", password: "wrong horse", ip: "192.0.2.1" });
    const { cookie } = await signIn(app, "alice", "correct horse");
    await app.auth.requireRole(await app.open(cookie), "admin");

    expect(events.map((e) => [e.type, e.reason ?? null])).toEqual([
      ["login.failed", "invalid"],
      ["login.failed", "invalid"],
      ["login.succeeded", null],
      ["access.denied", null],
    ]);
    expect(events[0]).toMatchObject({
      type: "login.failed",
      reason: "invalid",
      username: "alice",
      ip: "192.0.2.1",
    });
    expect(JSON.stringify(events)).not.toContain("horse");
  });

  it("a throwing listener does not break the login", async () => {
    const app = memoryApp({
      onEvent: () => {
        throw new Error("log sink down");
      },
    });
    await app.users.add("alice", "correct horse");
    const errors: unknown[] = [];
    app.sessions.options.logger.error = (...args) => errors.push(args);
    expect((await signIn(app, "alice", "correct horse")).user.username).toBe("alice");
    expect(errors).toHaveLength(1);
  });
});
