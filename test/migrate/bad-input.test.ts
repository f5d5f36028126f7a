/**
 * What the takeover refuses, and how: forged old cookies, records that are
 * not JSON, `__proto__` records, records past the size limit, an old store
 * that is down (503, like ours, and recovery when it returns), a store that
 * never calls back, the end of the transition.
 */
import { randomBytes } from "node:crypto";
import { sign } from "cookie-signature";
import expressSession from "express-session";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/core/errors.js";
import { createSessions } from "../../src/core/manager.js";
import type { SessionStore } from "../../src/core/store.js";
import { fromExpressSession } from "../../src/migrate/index.js";
import { createStore } from "../../src/stores/create-store.js";
import { type PrivateRedis, redisServerMissing, startRedis } from "../support/redis-server.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";
import { CookieJar, NEW_SECRET, newExpressApp, OLD_SECRET } from "./apps.js";
import { expressCookie, expressRecord, newSid } from "./old-cookie.js";

const redisDown = await probe("redis", async () => {
  const c = createClient({ url: SERVICE_URLS.redis });
  await c.connect();
  await c.ping();
  c.destroy();
});

const req = (cookie: string) => ({ cookie, encrypted: false, ip: "10.0.0.2", userAgent: "t" });

describeWithService("redis", redisDown, "takeover: bad input", () => {
  const prefix = `migb-${randomBytes(4).toString("hex")}:`;
  const redis = createClient({ url: SERVICE_URLS.redis });
  let store: SessionStore;
  const legacy = fromExpressSession({
    from: `${SERVICE_URLS.redis}?prefix=${prefix}`,
    secrets: OLD_SECRET,
  });
  const manager = () => createSessions({ store, secrets: [NEW_SECRET], legacy, maxBytes: 4096 });

  beforeAll(async () => {
    await redis.connect();
    store = await createStore("memory:");
  });
  afterAll(async () => {
    await legacy.close();
    await store?.close?.();
    for (const k of await redis.keys(`${prefix}*`)) await redis.del(k);
    redis.destroy();
  });

  const put = async (text: string) => {
    const sid = newSid();
    await redis.set(prefix + sid, text, { PX: 3_600_000 });
    return sid;
  };

  it("forged, re-signed, unsigned or truncated old cookies are no session; the record stays", async () => {
    const sid = await put(expressRecord({ passport: { user: "ada" } }));
    const signed = `s:${sign(sid, OLD_SECRET)}`;
    const forged = [
      expressCookie(sid, "not the old secret"),
      `connect.sid=${encodeURIComponent(`s:${sid}`)}`,
      `connect.sid=${encodeURIComponent(sign(sid, OLD_SECRET))}`, // no "s:"
      `connect.sid=${encodeURIComponent(`${signed}garbage`)}`, // cookie-signature #40
      `connect.sid=${encodeURIComponent(signed.slice(0, -3))}`,
      `connect.sid=${encodeURIComponent(`s:${sign("../../etc/passwd", OLD_SECRET)}`)}`,
      "connect.sid=%E0%A4%A",
      `connect.sid=${"x".repeat(20_000)}`,
    ];
    const m = manager();
    for (const cookie of forged) {
      const s = await m.load(req(cookie));
      expect(s.userId, cookie.slice(0, 60)).toBeNull();
      expect(s.isNew).toBe(true);
    }
    expect(await redis.exists(prefix + sid)).toBe(1);
    // A forged cookie is cleared, never a Cloakroom cookie issued.
    const s = await m.load(req(forged[0]!));
    const out = await m.commit(s);
    expect(out.setCookie).toBeNull();
    expect(out.extraSetCookies?.[0]).toMatch(/^connect\.sid=;/);
    // The genuine cookie still works.
    expect((await m.load(req(expressCookie(sid)))).userId).toBe("ada");
  });

  it("a stale or forged Cloakroom cookie next to a valid old cookie: the old session is taken over", async () => {
    const m = manager();
    const gone = await m.load(req(""));
    gone.set("x", 1);
    const staleCookie = (await m.commit(gone)).setCookie!.split(";")[0]!;
    gone.destroy();
    await m.commit(gone);
    for (const ours of [staleCookie, "cloakroom=v1.forged.forged"]) {
      const sid = await put(expressRecord({ passport: { user: "ada" } }));
      const s = await m.load(req(`${ours}; ${expressCookie(sid)}`));
      expect(s.userId, ours).toBe("ada");
      const out = await m.commit(s);
      expect(out.setCookie).toMatch(/^cloakroom=v1\./);
      expect(out.extraSetCookies?.[0]).toMatch(/^connect\.sid=;/);
    }
  });

  it("a record that is not JSON, or not an object, is no session", async () => {
    for (const text of ["{not json", "[1,2]", '"a string"', "null", '{"cart": "\\u0000"}']) {
      const sid = await put(text);
      const s = await manager().load(req(expressCookie(sid)));
      expect(s.isNew, text).toBe(true);
      expect(s.userId).toBeNull();
    }
  });

  it("__proto__ and constructor in a record never reach a prototype", async () => {
    const text = `{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"prototype":1,"cart":{"__proto__":{"polluted":true},"n":1},"userId":"eve","$persistent":"x"}`;
    const sid = await put(text);
    const s = await manager().load(req(expressCookie(sid)));
    expect(s.userId).toBe("eve");
    expect(s.keys().sort()).toEqual(["cart", "userId"]);
    expect(s.get("cart")).toEqual({ n: 1 });
    expect(Object.getPrototypeOf(s.get("cart"))).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("a record over the size limit is no session (and a huge one is not even parsed)", async () => {
    for (const size of [5000, 2_000_000]) {
      const sid = await put(expressRecord({ userId: "big", blob: "x".repeat(size) }));
      const s = await manager().load(req(expressCookie(sid)));
      expect(s.userId, String(size)).toBeNull();
      expect(s.isNew).toBe(true);
    }
  });

  it("an expired old session is no session", async () => {
    const sid = await put(expressRecord({ userId: "late" }, -1000));
    expect((await manager().load(req(expressCookie(sid)))).userId).toBeNull();
  });

  it("after acceptLegacyUntil old cookies are ignored and the old store is never reached", async () => {
    const sid = await put(expressRecord({ userId: "ada" }));
    let called = 0;
    const neverStore = {
      get: () => {
        called++;
      },
      destroy: () => {
        called++;
      },
    };
    for (const from of ["redis://127.0.0.1:1?prefix=x", neverStore] as const) {
      const ended = fromExpressSession({
        from,
        secrets: OLD_SECRET,
        acceptLegacyUntil: new Date(Date.now() - 1),
      });
      const m = createSessions({ store, secrets: [NEW_SECRET], legacy: ended });
      const s = await m.load(req(expressCookie(sid)));
      expect(s.isNew).toBe(true);
      expect((await m.commit(s)).extraSetCookies).toBeUndefined();
      await ended.close();
    }
    expect(called).toBe(0);
    expect(await redis.exists(prefix + sid)).toBe(1);
  });

  it("an express-session Store instance that never calls back: 503 after the timeout, not a hang", async () => {
    const hanging = Object.assign(new expressSession.MemoryStore(), { get: () => {} });
    const legacyHang = fromExpressSession({ from: hanging, secrets: OLD_SECRET, timeoutMs: 200 });
    const m = createSessions({ store, secrets: [NEW_SECRET], legacy: legacyHang });
    const started = Date.now();
    await expect(m.load(req(expressCookie(newSid())))).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("an express-session Store instance works (MemoryStore)", async () => {
    const mem = new expressSession.MemoryStore();
    const sid = newSid();
    await new Promise<void>((r) =>
      mem.set(sid, JSON.parse(expressRecord({ passport: { user: "mem" } })), () => r()),
    );
    const legacyMem = fromExpressSession({ from: mem, secrets: OLD_SECRET });
    const m = createSessions({ store, secrets: [NEW_SECRET], legacy: legacyMem });
    expect((await m.load(req(expressCookie(sid)))).userId).toBe("mem");
    const left = await new Promise((r) => mem.get(sid, (_e, s) => r(s)));
    expect(left ?? null).toBeNull();
  });
});

describeWithService("redis-server", redisServerMissing(), "takeover: the old store is down", () => {
  let old: PrivateRedis;
  beforeAll(async () => {
    old = await startRedis();
  });
  afterAll(async () => {
    await old?.stop();
  });

  it("answers 503 like our own store, then recovers when the old store returns", async () => {
    const sid = newSid();
    await old.command([
      "SET",
      `sess:${sid}`,
      expressRecord({ passport: { user: "ada" } }),
      "PX",
      "3600000",
    ]);
    const store = await createStore("memory:");
    const legacy = fromExpressSession({ from: old.url, secrets: OLD_SECRET, timeoutMs: 500 });
    const app = await newExpressApp({ store, secrets: [NEW_SECRET], legacy });
    try {
      const jar = new CookieJar();
      jar.cookies.set("connect.sid", expressCookie(sid).split("=")[1]!);
      // Open the connection once, then kill the server under it.
      expect((await jar.clone().fetch(`${app.url}/me`)).status).toBe(200);
      await old.command([
        "SET",
        `sess:${sid}`,
        expressRecord({ passport: { user: "ada" } }),
        "PX",
        "3600000",
      ]);
      await old.kill();
      const down = await jar.clone().fetch(`${app.url}/me`);
      expect(down.status).toBe(503);
      // A request without any old cookie never touches the old store.
      expect((await fetch(`${app.url}/me`)).status).toBe(200);
      await old.restart();
      await old.command([
        "SET",
        `sess:${sid}`,
        expressRecord({ passport: { user: "ada" } }),
        "PX",
        "3600000",
      ]);
      let res: Response | undefined;
      for (let i = 0; i < 40; i++) {
        res = await jar.clone().fetch(`${app.url}/me`);
        if (res.status === 200) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(res!.status).toBe(200);
      expect((await res!.json()).user).toBe("ada");
    } finally {
      await app.close();
      await legacy.close();
      await store.close?.();
    }
  });
});

describe("takeover: our store refuses the copy", () => {
  it("puts the old record back, so our outage does not log the user out", async () => {
    const mem = new expressSession.MemoryStore();
    const sid = newSid();
    await new Promise<void>((r) =>
      mem.set(sid, JSON.parse(expressRecord({ userId: "kept" })), () => r()),
    );
    const inner = await createStore("memory:");
    const failing: SessionStore = Object.assign(Object.create(null), inner, {
      kind: "memory",
      capabilities: inner.capabilities,
      get: inner.get.bind(inner),
      create: async () => {
        throw new Error("disk full");
      },
    });
    const legacy = fromExpressSession({ from: mem, secrets: OLD_SECRET });
    const m = createSessions({ store: failing, secrets: [NEW_SECRET], legacy });
    await expect(m.load(req(expressCookie(sid)))).rejects.toBeInstanceOf(StoreUnavailableError);
    const back = await new Promise<{ userId?: string } | undefined>((r) =>
      mem.get(sid, (_e, s) => r(s as never)),
    );
    expect(back?.userId).toBe("kept");
  });
});
