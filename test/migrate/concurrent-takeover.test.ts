/**
 * Two requests carrying the same old cookie at the same time end with ONE
 * Cloakroom session, and each keeps its write. Forced, not hoped for:
 * in one process, a barrier holds both handlers until both requests have
 * loaded; across two servers, the winner's create is held until the other
 * server has already missed the record, so it must wait for it.
 */
import { randomBytes } from "node:crypto";
import { InstrumentedStore } from "cloakroom-sessions/testing";
import { createClient } from "redis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createSessions } from "../../src/core/manager.js";
import type { SessionStore } from "../../src/core/store.js";
import { fromExpressSession } from "../../src/migrate/index.js";
import { createStore } from "../../src/stores/create-store.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";
import { CookieJar, NEW_SECRET, OLD_SECRET } from "./apps.js";
import { expressCookie, expressRecord, newSid } from "./old-cookie.js";

const redisDown = await probe("redis", async () => {
  const c = createClient({ url: SERVICE_URLS.redis });
  await c.connect();
  await c.ping();
  c.destroy();
});

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describeWithService("redis", redisDown, "concurrent takeover of one old session", () => {
  const prefix = `migc-${randomBytes(4).toString("hex")}:`;
  const redis = createClient({ url: SERVICE_URLS.redis });
  let store: SessionStore;

  beforeAll(async () => {
    await redis.connect();
    store = await createStore(`${SERVICE_URLS.redis}?keyPrefix=${prefix}new:`);
  });
  afterAll(async () => {
    await store?.close?.();
    for (const k of await redis.keys(`${prefix}*`)) await redis.del(k);
    redis.destroy();
  });

  const oldSession = async (user: string) => {
    const sid = newSid();
    await redis.set(prefix + sid, expressRecord({ passport: { user }, cart: ["apple"] }), {
      PX: 3_600_000,
    });
    return expressCookie(sid);
  };

  it("one process: both requests share one session and both writes survive", async () => {
    const cookie = await oldSession("ada");
    const legacy = fromExpressSession({
      from: `${SERVICE_URLS.redis}?prefix=${prefix}`,
      secrets: OLD_SECRET,
    });
    const arrived: (() => void)[] = [];
    const bothLoaded = new Promise<void>((resolve) => {
      arrived.push(() => arrived.length >= 3 && resolve());
    });
    const express = (await import("express")).default;
    const { session } = await import("../../src/adapters/express/index.js");
    const { createServer } = await import("node:http");
    const app = express();
    app.use(session({ store, secrets: [NEW_SECRET], legacy }));
    app.post("/put/:k", async (req, res) => {
      arrived.push(() => {});
      arrived[0]!();
      await bothLoaded; // neither handler runs before both requests have loaded
      req.session.set(req.params.k, true);
      res.json({ user: req.session.userId });
    });
    const server = createServer(app).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const a = new CookieJar();
      const b = new CookieJar();
      a.cookies.set("connect.sid", cookie.split("=")[1]!);
      b.cookies.set("connect.sid", cookie.split("=")[1]!);
      const [ra, rb] = await Promise.all([
        a.fetch(`${url}/put/fromA`, { method: "POST" }),
        b.fetch(`${url}/put/fromB`, { method: "POST" }),
      ]);
      expect(await ra.json()).toEqual({ user: "ada" });
      expect(await rb.json()).toEqual({ user: "ada" });
      expect(a.cookies.get("cloakroom")).toBeDefined();
      expect(a.cookies.get("cloakroom")).toBe(b.cookies.get("cloakroom"));
      const sessions = await store.listByUser("ada", Date.now());
      expect(sessions).toHaveLength(1);
      const record = await store.get(sessions[0]!.key, Date.now());
      expect(record!.data).toMatchObject({ fromA: "true", fromB: "true", cart: '["apple"]' });
    } finally {
      server.closeAllConnections();
      server.close();
      await legacy.close();
    }
  });

  it("two servers: the loser waits for the winner's create and writes into the same session", async () => {
    const cookie = await oldSession("grace");
    const createHeld = deferred();
    const release = deferred();
    const loserMissed = deferred();
    // Server A: its create of the taken-over session is held until B has looked and missed.
    const storeA = new InstrumentedStore(store);
    storeA.create = async (key, record) => {
      createHeld.resolve();
      await release.promise;
      return store.create(key, record);
    };
    // Server B: reports its first miss on the Cloakroom store.
    const storeB = new InstrumentedStore(store);
    storeB.get = async (key, now) => {
      const r = await store.get(key, now);
      if (r === null) loserMissed.resolve();
      return r;
    };
    const from = `${SERVICE_URLS.redis}?prefix=${prefix}`;
    const legacyA = fromExpressSession({ from, secrets: OLD_SECRET });
    const legacyB = fromExpressSession({ from, secrets: OLD_SECRET });
    const a = createSessions({ store: storeA, secrets: [NEW_SECRET], legacy: legacyA });
    const b = createSessions({ store: storeB, secrets: [NEW_SECRET], legacy: legacyB });
    const req = { cookie, encrypted: false, ip: "10.0.0.1", userAgent: "test" };
    try {
      const loadA = a.load(req);
      await createHeld.promise; // A took the old record and is about to create
      const loadB = b.load(req);
      await loserMissed.promise; // B found the old record gone and no Cloakroom session yet
      release.resolve();
      const [sa, sb] = await Promise.all([loadA, loadB]);
      expect(sa.userId).toBe("grace");
      expect(sb.userId).toBe("grace");
      expect(sa.id).toBe(sb.id);
      sa.set("fromA", 1);
      sb.set("fromB", 2);
      const [oa, ob] = await Promise.all([a.commit(sa), b.commit(sb)]);
      expect(oa.setCookie).toBe(ob.setCookie);
      const sessions = await store.listByUser("grace", Date.now());
      expect(sessions).toHaveLength(1);
      const record = await store.get(sessions[0]!.key, Date.now());
      expect(record!.data).toMatchObject({ fromA: "1", fromB: "2" });
    } finally {
      await legacyA.close();
      await legacyB.close();
    }
  });
});
