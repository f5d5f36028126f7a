/**
 * `loadNow`: the synchronous load adapters try first. It may answer only
 * where `load` would answer the same, and must hand everything else (a
 * cookie never verified, a forged MAC, a revoked or expired session, an old
 * app secret) to `load`.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { createSessions, type SessionManager } from "../../src/core/manager.js";
import { Session } from "../../src/core/session.js";
import { MemoryStore } from "../../src/stores/memory/index.js";

const SECRET = "s".repeat(32);
const NEW = "n".repeat(32);
const MIN = 60_000;

let clock: number;
let store: MemoryStore;
let sessions: SessionManager;

const info = (cookie: string | undefined) => ({
  cookie,
  encrypted: false,
  ip: "203.0.113.9",
  userAgent: "test-agent",
});

/** Signs in through the async path; returns the cookie header value. */
async function signIn(m: SessionManager, user: string): Promise<string> {
  const s = await m.load(info(undefined));
  s.setUser(user).set("n", 1);
  const out = await m.commit(s);
  return out.setCookie!.split(";")[0]!;
}

beforeEach(() => {
  clock = Date.UTC(2026, 0, 1);
  store = new MemoryStore({ sweepInterval: 0, now: () => clock });
  sessions = createSessions({ store, secrets: [SECRET], now: () => clock, idleTimeout: "30m" });
});

describe("loadNow", () => {
  it("answers a request without a cookie at once, anonymous", () => {
    const s = sessions.loadNow(info(undefined), new Session());
    expect(s).toBeInstanceOf(Session);
    expect(s!.userId).toBeNull();
    expect(s!.isNew).toBe(true);
  });

  it("answers a verified cookie from the memory store at once, with its data", async () => {
    const cookie = await signIn(sessions, "ada");
    const first = await sessions.load(info(cookie)); // verifies the HMAC once
    const s = sessions.loadNow(info(cookie), new Session());
    expect(s?.userId).toBe("ada");
    expect(s?.get("n")).toBe(1);
    expect(s?.id).toBe(first.id);
  });

  it("leaves a cookie it never verified to load (the HMAC runs there)", async () => {
    const cookie = await signIn(sessions, "ada");
    const other = createSessions({ store, secrets: [SECRET], now: () => clock });
    expect(other.loadNow(info(cookie), new Session())).toBeUndefined();
    expect((await other.load(info(cookie))).userId).toBe("ada");
    expect(other.loadNow(info(cookie), new Session())?.userId).toBe("ada");
  });

  it("never accepts a forged MAC on a verified secret", async () => {
    const cookie = await signIn(sessions, "ada");
    const forged = cookie.slice(0, -2) + (cookie.endsWith("AA") ? "AB" : "AA");
    expect(sessions.loadNow(info(forged), new Session())).toBeUndefined();
    expect((await sessions.load(info(forged))).userId).toBeNull();
    // The same secret and MAC under another version prefix, or cut short, is no cached token either.
    for (const bad of [cookie.replace("=v1.", "=v2."), cookie.slice(0, -1)]) {
      expect(sessions.loadNow(info(bad), new Session())).toBeUndefined();
      expect((await sessions.load(info(bad))).userId).toBeNull();
    }
  });

  it("never answers for a revoked, destroyed or expired session", async () => {
    const revoked = await signIn(sessions, "ada");
    await sessions.revokeUserSessions("ada");
    expect(sessions.loadNow(info(revoked), new Session())).toBeUndefined();
    expect((await sessions.load(info(revoked))).userId).toBeNull();

    const expired = await signIn(sessions, "bob");
    clock += 31 * MIN;
    expect(sessions.loadNow(info(expired), new Session())).toBeUndefined();
    expect((await sessions.load(info(expired))).userId).toBeNull();
  });

  it("leaves a cookie signed by an old app secret to load, which re-issues it", async () => {
    const cookie = await signIn(sessions, "ada");
    const rotated = createSessions({ store, secrets: [NEW, SECRET], now: () => clock });
    await rotated.load(info(cookie)); // verified, under key 1
    expect(rotated.loadNow(info(cookie), new Session())).toBeUndefined();
    const s = await rotated.load(info(cookie));
    const out = await rotated.commit(s);
    expect(out.setCookie).toMatch(/^cloakroom=v1\./);
  });

  it("waits on load where the store cannot answer from memory (no peek)", async () => {
    const noPeek = new Proxy(store, {
      get: (target, prop) =>
        prop === "peek"
          ? undefined
          : (Reflect.get(target, prop, target)?.bind?.(target) ??
            Reflect.get(target, prop, target)),
    });
    const m = createSessions({ store: noPeek, secrets: [SECRET], now: () => clock });
    const cookie = await signIn(m, "ada");
    expect((await m.load(info(cookie))).userId).toBe("ada");
    expect(m.loadNow(info(cookie), new Session())).toBeUndefined();
  });
});
