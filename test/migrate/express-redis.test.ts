/**
 * The switch-over on Express with express-session + connect-redis: users
 * signed in on the old app keep their login and their data when the same
 * cookie jars reach the Cloakroom app; the old records are gone, the old
 * cookies cleared, and a replayed old cookie is refused.
 */
import { randomBytes } from "node:crypto";
import { RedisStore } from "connect-redis";
import { createClient } from "redis";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { SessionStore } from "../../src/core/store.js";
import { fromExpressSession, type LegacyMigration } from "../../src/migrate/index.js";
import { createStore } from "../../src/stores/create-store.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";
import { CookieJar, NEW_SECRET, newExpressApp, oldExpressApp, type Running } from "./apps.js";

const redisDown = await probe("redis", async () => {
  const c = createClient({ url: SERVICE_URLS.redis });
  await c.connect();
  await c.ping();
  c.destroy();
});

describeWithService(
  "redis",
  redisDown,
  "express-session + connect-redis → Cloakroom on Express",
  () => {
    const prefix = `mig-${randomBytes(4).toString("hex")}:`;
    const redis = createClient({ url: SERVICE_URLS.redis });
    let store: SessionStore;
    let legacy: LegacyMigration;
    let app: Running;
    const users = ["ada", "grace", "linus"];
    const jars = new Map<string, CookieJar>();

    beforeAll(async () => {
      await redis.connect();
      // 1. The old app signs users in and fills their sessions.
      const old = await oldExpressApp(new RedisStore({ client: redis, prefix }));
      for (const user of users) {
        const jar = new CookieJar();
        expect((await jar.fetch(`${old.url}/login/${user}`, { method: "POST" })).status).toBe(200);
        expect(await (await jar.fetch(`${old.url}/me`)).json()).toEqual({
          user,
          cart: ["apple", user],
        });
        jars.set(user, jar);
      }
      await old.close();
      expect(await redis.keys(`${prefix}*`)).toHaveLength(users.length);

      // 2. The same process now runs Cloakroom with the takeover on.
      store = await createStore(`${SERVICE_URLS.redis}?keyPrefix=${prefix}new:`);
      legacy = fromExpressSession({
        from: `${SERVICE_URLS.redis}?prefix=${prefix}`,
        secrets: ["an older secret no cookie uses", "keyboard cat, the old app's secret"],
        raceWindow: 300,
      });
      app = await newExpressApp({ store, secrets: [NEW_SECRET], legacy });
    });

    afterAll(async () => {
      await app?.close();
      await legacy?.close();
      await store?.close?.();
      for (const k of await redis.keys(`${prefix}*`)) await redis.del(k);
      redis.destroy();
    });

    it("keeps every user signed in with their data, clears the old cookie, removes the old record", async () => {
      for (const user of users) {
        const jar = jars.get(user)!;
        const sid = decodeURIComponent(jar.cookies.get("connect.sid")!).slice(2).split(".")[0]!;
        expect(await redis.exists(`${prefix}${sid}`)).toBe(1);
        const res = await jar.fetch(`${app.url}/me`);
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ user, cart: ["apple", user], theme: "dark" });
        const setCookies = res.headers.getSetCookie();
        expect(setCookies.some((c) => c.startsWith("cloakroom=v1."))).toBe(true);
        expect(setCookies.some((c) => /^connect\.sid=;.*Max-Age=0/i.test(c))).toBe(true);
        expect(jar.cookies.has("connect.sid")).toBe(false);
        expect(await redis.exists(`${prefix}${sid}`)).toBe(0);
        // Next request: only the Cloakroom cookie, still signed in, writes work.
        expect((await jar.fetch(`${app.url}/put/step/2`, { method: "POST" })).status).toBe(200);
        expect(await (await jar.fetch(`${app.url}/me`)).json()).toEqual({
          user,
          cart: ["apple", user],
          theme: "dark",
        });
      }
      const sessions = await store.listByUser("ada", Date.now());
      expect(sessions).toHaveLength(1);
    });

    it("refuses an old cookie replayed after the takeover", async () => {
      const jar = new CookieJar();
      const old = await oldExpressApp(new RedisStore({ client: redis, prefix }));
      await jar.fetch(`${old.url}/login/mallory`, { method: "POST" });
      await old.close();
      const stolen = jar.clone();
      expect((await (await jar.fetch(`${app.url}/me`)).json()).user).toBe("mallory");
      await new Promise((r) => setTimeout(r, 400)); // past the 300 ms race window
      const res = await stolen.fetch(`${app.url}/me`);
      expect(await res.json()).toEqual({ user: null, cart: null, theme: null });
      expect(res.headers.getSetCookie().some((c) => c.startsWith("cloakroom=v1."))).toBe(false);
      // The rightful holder is unaffected.
      expect((await (await jar.fetch(`${app.url}/me`)).json()).user).toBe("mallory");
    });
  },
);
