/**
 * Issue 10 finding 8 through the manager: rotation (regenerate, setUser) is
 * conditional on the old record still existing. A request that loaded its
 * session before a revocation cannot carry it over into a new token, and
 * concurrent rotations of one session leave one session, not one each.
 * The store-level proof, on every store and with injected pauses, is the
 * "rotation" part of the conformance suite (src/testing/store-suite.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSessions, type SessionManager } from "../../src/core/manager.js";
import type { Session } from "../../src/core/session.js";
import type { SessionStore } from "../../src/core/store.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { createSqliteStore } from "../../src/stores/sqlite/index.js";

const dir = mkdtempSync(join(tmpdir(), "cloakroom-rotation-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stores: [string, () => Promise<SessionStore>][] = [
  ["memory", async () => new MemoryStore({ sweepInterval: 0 })],
  ["sqlite", () => createSqliteStore({ path: join(dir, `s${Math.random()}.db`), reaper: false })],
];

describe.each(stores)("rotation is conditional (%s)", (_name, open) => {
  const setup = async () => {
    const store = await open();
    const m = createSessions({ store, secrets: ["s".repeat(32)] });
    return { store, m };
  };
  const request = async (
    m: SessionManager,
    cookie: string | undefined,
    handler: (s: Session) => unknown = () => {},
  ) => {
    const session = await m.load({ cookie, encrypted: false, ip: "203.0.113.9" });
    await handler(session);
    const out = await m.commit(session);
    const token = out.setCookie?.split(";")[0];
    const next = token === undefined ? cookie : token.endsWith("=") ? undefined : token;
    return { session, out, cookie: next };
  };

  it("a request that loaded the session before a revoke-all cannot rotate it into a new one", async () => {
    const { store, m } = await setup();
    const a = await request(m, undefined, (s) => s.setUser("u1").set("cart", [1]));
    // The request loads, the user's sessions are revoked, then it rotates (a role change).
    const inFlight = await m.load({ cookie: a.cookie, encrypted: false });
    expect(inFlight.userId).toBe("u1");
    expect(await m.revokeUserSessions("u1")).toBe(1);
    inFlight.setUser("u1");
    const out = await m.commit(inFlight);
    expect(inFlight.userId).toBeNull();
    expect(inFlight.isNew).toBe(true);
    expect(out.setCookie).toBeNull(); // the cookie is left alone: it is dead anyway
    expect(await m.listUserSessions("u1")).toEqual([]);
    expect((await store.stats!(Date.now())).live).toBe(0);
    await request(m, a.cookie, (s) => expect(s.userId).toBeNull());
    await store.close?.();
  });

  it("a request that loaded the session before a logout cannot regenerate it", async () => {
    const { store, m } = await setup();
    const a = await request(m, undefined, (s) => s.set("cart", [1]));
    const inFlight = await m.load({ cookie: a.cookie, encrypted: false });
    await request(m, a.cookie, (s) => s.destroy());
    inFlight.regenerate();
    await m.commit(inFlight);
    expect(inFlight.toJSON()).toEqual({});
    expect((await store.stats!(Date.now())).live).toBe(0);
    await store.close?.();
  });

  it("nine requests rotating one session at once leave one session, not nine", async () => {
    const { store, m } = await setup();
    const a = await request(m, undefined, (s) => s.setUser("u1"));
    const loaded = await Promise.all(
      Array.from({ length: 9 }, () => m.load({ cookie: a.cookie, encrypted: false })),
    );
    for (const s of loaded) s.setUser("u1");
    const outs = await Promise.all(loaded.map((s) => m.commit(s)));
    const issued = outs.filter((o) => o.setCookie !== null);
    expect(issued).toHaveLength(1);
    expect(loaded.filter((s) => s.userId === "u1")).toHaveLength(1);
    const list = await m.listUserSessions("u1");
    expect(list).toHaveLength(1);
    const winner = issued[0]!.setCookie!.split(";")[0]!;
    await request(m, winner, (s) => expect(s.userId).toBe("u1"));
    await store.close?.();
  });

  it("a live session still rotates: new token, data kept, old token dead", async () => {
    const { store, m } = await setup();
    const a = await request(m, undefined, (s) => s.set("cart", [1]));
    const b = await request(m, a.cookie, (s) => s.setUser("u2"));
    expect(b.cookie).not.toBe(a.cookie);
    await request(m, b.cookie, (s) => {
      expect(s.userId).toBe("u2");
      expect(s.get("cart")).toEqual([1]);
    });
    await request(m, a.cookie, (s) => expect(s.isNew).toBe(true));
    expect(await m.listUserSessions("u2")).toHaveLength(1);
    await store.close?.();
  });
});
