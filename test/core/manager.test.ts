import { InstrumentedStore } from "cloakroom-sessions/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { SessionDataError, SessionTooLargeError } from "../../src/core/errors.js";
import { createSessions, type SessionManager } from "../../src/core/manager.js";
import type { Session } from "../../src/core/session.js";
import { MemoryStore } from "../../src/stores/memory/index.js";

const SECRET = "s".repeat(32);
const OLD = "o".repeat(32);
const MIN = 60_000;

let clock: number;
let store: InstrumentedStore;
let sessions: SessionManager;

function make(
  secrets: string[] = [SECRET],
  extra: Partial<Parameters<typeof createSessions>[0]> = {},
) {
  return createSessions({
    store,
    secrets,
    now: () => clock,
    idleTimeout: "30m",
    absoluteTimeout: "12h",
    ...extra,
  });
}

/** One request: load from a cookie, run the handler, commit; returns the cookie the browser keeps. */
async function request(
  m: SessionManager,
  cookie: string | undefined,
  handler: (s: Session) => unknown = () => {},
) {
  const session = await m.load({
    cookie,
    encrypted: false,
    ip: "203.0.113.9",
    userAgent: "test-agent",
  });
  await handler(session);
  const out = await m.commit(session);
  const token = out.setCookie?.split(";")[0];
  const next = token === undefined ? cookie : token.endsWith("=") ? undefined : token;
  return { session, out, cookie: next };
}

beforeEach(() => {
  clock = Date.UTC(2026, 0, 1);
  store = new InstrumentedStore(new MemoryStore({ sweepInterval: 0, now: () => clock }));
  sessions = make();
});

describe("session manager", () => {
  it("creates nothing for a visitor who never writes: no store call, no cookie", async () => {
    const r = await request(sessions, undefined, (s) => {
      expect(s.get("anything")).toBeUndefined();
    });
    expect(r.out.setCookie).toBeNull();
    expect(store.calls.get + store.writes).toBe(0);
  });

  it("writes once and sets a cookie on the first write; later reads cost one get and no write", async () => {
    const first = await request(sessions, undefined, (s) => {
      s.set("cart", [1, 2, 3]);
    });
    expect(first.out.setCookie).toMatch(/^cloakroom=v1\./);
    expect(first.out.cacheControl).toBe("private, no-store");
    expect(store.calls.create).toBe(1);
    store.resetCounts();
    clock += 1000;
    const read = await request(sessions, first.cookie, (s) => {
      expect(s.get("cart")).toEqual([1, 2, 3]);
    });
    expect(read.out.setCookie).toBeNull();
    expect(read.out.vary).toBe(true);
    expect(store.calls.get).toBe(1);
    expect(store.writes).toBe(0);
  });

  it("writes only changed keys, and nothing when a value is set to what it was", async () => {
    const { cookie } = await request(sessions, undefined, (s) => s.set("a", 1).set("b", 2));
    store.resetCounts();
    await request(sessions, cookie, (s) => s.set("a", 1));
    expect(store.writes).toBe(0);
    await request(sessions, cookie, (s) => s.set("b", 3));
    expect(store.calls.patch).toBe(1);
  });

  it("throttles the sliding-expiry write to the touch interval", async () => {
    const { cookie } = await request(sessions, undefined, (s) => s.set("a", 1));
    store.resetCounts();
    clock += 2 * MIN; // under the default interval (a tenth of 30 min)
    await request(sessions, cookie);
    expect(store.calls.patch).toBe(0);
    clock += 2 * MIN;
    await request(sessions, cookie);
    expect(store.calls.patch).toBe(1); // a patch with only the touch
    expect(store.writes).toBe(1);
    clock += MIN;
    await request(sessions, cookie);
    expect(store.calls.patch).toBe(1);
  });

  it("ends a session after the idle timeout, and after the absolute timeout however active", async () => {
    const { cookie } = await request(sessions, undefined, (s) => s.set("a", 1));
    clock += 31 * MIN;
    const idle = await request(sessions, cookie, (s) => expect(s.get("a")).toBeUndefined());
    expect(idle.out.setCookie).toMatch(/Max-Age=0/);

    const active = await request(sessions, undefined, (s) => s.set("a", 1));
    for (let t = 0; t < 12 * 60; t += 20) {
      clock += 20 * MIN;
      const r = await request(sessions, active.cookie, (s) => s.get("a"));
      if (r.session.isNew) {
        expect(t + 20).toBeGreaterThanOrEqual(12 * 60);
        return;
      }
    }
    throw new Error("an active session outlived the absolute timeout");
  });

  it("regenerate: a new token, data kept, the old token dead at once", async () => {
    const a = await request(sessions, undefined, (s) => s.set("cart", [1]));
    const b = await request(sessions, a.cookie, (s) => s.regenerate());
    expect(b.cookie).not.toBe(a.cookie);
    await request(sessions, b.cookie, (s) => expect(s.get("cart")).toEqual([1]));
    await request(sessions, a.cookie, (s) => expect(s.isNew).toBe(true));
  });

  it("setUser rotates the token and indexes the session by user", async () => {
    const a = await request(sessions, undefined, (s) => s.set("x", 1));
    const b = await request(sessions, a.cookie, (s) => s.setUser("u1"));
    expect(b.cookie).not.toBe(a.cookie);
    const list = await sessions.listUserSessions("u1", b.session);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ current: true, ip: "203.0.113.9", userAgent: "test-agent" });
  });

  it("a slow request finishing after logout does not bring the session back", async () => {
    const a = await request(sessions, undefined, (s) => s.setUser("u1"));
    const slow = await sessions.load({ cookie: a.cookie, encrypted: false });
    await request(sessions, a.cookie, (s) => s.destroy());
    slow.set("late", true);
    const out = await sessions.commit(slow);
    expect(out.setCookie).toMatch(/Max-Age=0/);
    expect(await sessions.listUserSessions("u1")).toEqual([]);
    await request(sessions, a.cookie, (s) => expect(s.isNew).toBe(true));
  });

  it("refuses a write past the size limit and keeps the stored session as it was", async () => {
    const m = make([SECRET], { maxBytes: 1024 });
    const a = await request(m, undefined, (s) => s.set("small", "x"));
    await request(m, a.cookie, (s) => {
      expect(() => s.set("big", "y".repeat(2000))).toThrow(SessionTooLargeError);
      expect(s.has("big")).toBe(false);
    });
    await request(m, a.cookie, (s) => expect(s.toJSON()).toEqual({ small: "x" }));
  });

  it("refuses values JSON would change, and keys that name prototypes", async () => {
    await request(sessions, undefined, (s) => {
      expect(() => s.set("d", new Date() as never)).toThrow(SessionDataError);
      expect(() => s.set("__proto__", 1)).toThrow(SessionDataError);
      expect(() => s.set("$csrf", 1)).toThrow(SessionDataError);
    });
  });

  it("freezes values it hands out, so an in-place change cannot be silently lost", async () => {
    const a = await request(sessions, undefined, (s) => s.set("cart", [1]));
    await request(sessions, a.cookie, (s) => {
      const cart = s.get<number[]>("cart")!;
      // @ts-expect-error read-only in the types too, so this is caught before run time
      expect(() => cart.push(2)).toThrow(TypeError);
      s.update<number[]>("cart", (c) => [...(c ?? []), 2]);
    });
    await request(sessions, a.cookie, (s) => expect(s.get("cart")).toEqual([1, 2]));
  });

  it("re-issues a cookie signed with an old secret under the new one; refuses it once the old one is dropped", async () => {
    const old = make([OLD]);
    const a = await request(old, undefined, (s) => s.set("a", 1));
    const rotated = make([SECRET, OLD]);
    const b = await request(rotated, a.cookie, (s) => expect(s.get("a")).toBe(1));
    expect(b.out.setCookie).toMatch(/^cloakroom=v1\./);
    expect(b.cookie).not.toBe(a.cookie);
    await request(make([SECRET]), b.cookie, (s) => expect(s.get("a")).toBe(1));
    await request(make([SECRET]), a.cookie, (s) => expect(s.isNew).toBe(true));
  });

  it("treats forged and malformed cookies as no session, without touching the store", async () => {
    const a = await request(sessions, undefined, (s) => s.set("a", 1));
    store.resetCounts();
    const forged = `${a.cookie!.slice(0, -2)}AA`;
    for (const c of [
      forged,
      "cloakroom=",
      "cloakroom=%%%",
      `cloakroom=${"A".repeat(300)}`,
      "garbage",
    ]) {
      await request(sessions, c, (s) => expect(s.isNew).toBe(true));
    }
    expect(store.calls.get).toBe(0);
  });

  it("revokes other sessions of a user but the current, and all of them", async () => {
    const a = await request(sessions, undefined, (s) => s.setUser("u1"));
    const b = await request(sessions, undefined, (s) => s.setUser("u1"));
    const c = await request(sessions, undefined, (s) => s.setUser("u1"));
    const current = await sessions.load({ cookie: a.cookie, encrypted: false });
    expect(await sessions.revokeUserSessions("u1", { except: current })).toBe(2);
    await request(sessions, b.cookie, (s) => expect(s.isNew).toBe(true));
    await request(sessions, c.cookie, (s) => expect(s.isNew).toBe(true));
    await request(sessions, a.cookie, (s) => expect(s.userId).toBe("u1"));
    const [only] = await sessions.listUserSessions("u1");
    expect(await sessions.revokeSession("u1", only!.id)).toBe(true);
    expect(await sessions.revokeSession("u1", only!.id)).toBe(false);
    await request(sessions, a.cookie, (s) => expect(s.isNew).toBe(true));
  });

  it("gives persistent sessions a Max-Age up to their absolute deadline; plain ones a browser-session cookie", async () => {
    const plain = await request(sessions, undefined, (s) => s.setUser("u1"));
    expect(plain.out.setCookie).not.toMatch(/Max-Age/);
    const remembered = await request(sessions, undefined, (s) =>
      s.setUser("u1", { persistent: true, absoluteTimeout: 30 * 24 * 60 * MIN }),
    );
    expect(remembered.out.setCookie).toMatch(/Max-Age=2592000/);
  });

  it("emits lifecycle events", async () => {
    const seen: string[] = [];
    for (const e of ["created", "rotated", "destroyed", "revoked", "expired"] as const)
      sessions.on(e, () => seen.push(e));
    const a = await request(sessions, undefined, (s) => s.set("a", 1));
    const b = await request(sessions, a.cookie, (s) => s.setUser("u"));
    await sessions.revokeUserSessions("nobody");
    await request(sessions, b.cookie, (s) => s.destroy());
    const c = await request(sessions, undefined, (s) => s.set("a", 1));
    clock += 31 * MIN;
    await request(sessions, c.cookie);
    expect(seen).toEqual(["created", "rotated", "revoked", "destroyed", "created", "expired"]);
  });

  it("events name a session by the id Session.id and listUserSessions give (handle: its deprecated alias)", async () => {
    const events: Record<string, Record<string, unknown>> = {};
    for (const e of ["created", "rotated", "destroyed", "revoked"] as const)
      sessions.on(e, (ev) => {
        events[e] = { ...ev };
      });
    const a = await request(sessions, undefined, (s) => s.set("a", 1));
    const firstId = a.session.id;
    expect(firstId).toEqual(expect.any(String));
    expect(events.created).toMatchObject({ id: firstId, handle: firstId });
    const b = await request(sessions, a.cookie, (s) => s.setUser("ev-user"));
    const loggedIn = b.session.id;
    expect(loggedIn).not.toBe(firstId);
    expect(events.rotated).toMatchObject({
      id: loggedIn,
      handle: loggedIn,
      previousId: firstId,
      previousHandle: firstId,
    });
    const [device] = await sessions.listUserSessions("ev-user");
    expect(device?.id).toBe(loggedIn);
    expect(await sessions.revokeSession("ev-user", loggedIn!)).toBe(true);
    expect(events.revoked).toMatchObject({ id: loggedIn, handle: loggedIn, count: 1 });
    const c = await request(sessions, undefined, (s) => s.set("a", 1));
    await request(sessions, c.cookie, (s) => s.destroy());
    expect(events.destroyed).toMatchObject({ id: c.session.id, handle: c.session.id });
  });
});
