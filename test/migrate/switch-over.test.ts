/**
 * The other switch-overs: express-session + connect-pg-simple and
 * @fastify/session (+ connect-redis) apps sign users in; the same cookie
 * jars then reach Cloakroom on Fastify and on Express with the takeover on:
 * still signed in with their data, old records gone, old cookies cleared.
 */
import { randomBytes } from "node:crypto";
import pgSession from "connect-pg-simple";
import { RedisStore } from "connect-redis";
import expressSession from "express-session";
import pg from "pg";
import { createClient } from "redis";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { SessionStore } from "../../src/core/store.js";
import {
  fromExpressSession,
  fromFastifySession,
  importSessions,
  openLegacySource,
} from "../../src/migrate/index.js";
import { createStore } from "../../src/stores/create-store.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";
import {
  CookieJar,
  NEW_SECRET,
  newExpressApp,
  newFastifyApp,
  oldExpressApp,
  oldFastifyApp,
} from "./apps.js";

const pgDown = await probe("postgres", async () => {
  const c = new pg.Client({ connectionString: SERVICE_URLS.postgres });
  await c.connect();
  await c.query("SELECT 1");
  await c.end();
});
const redisDown = await probe("redis", async () => {
  const c = createClient({ url: SERVICE_URLS.redis });
  await c.connect();
  await c.ping();
  c.destroy();
});

const USERS = ["ada", "grace"];

describeWithService("postgres", pgDown, "express-session + connect-pg-simple → Cloakroom", () => {
  const table = `mig_${randomBytes(4).toString("hex")}`;
  const pool = new pg.Pool({ connectionString: SERVICE_URLS.postgres, max: 2 });
  let store: SessionStore;
  const jars = new Map<string, CookieJar>();

  beforeAll(async () => {
    const PgStore = pgSession(expressSession);
    const oldStore = new PgStore({
      pool,
      tableName: table,
      createTableIfMissing: true,
      pruneSessionInterval: false,
    });
    const old = await oldExpressApp(oldStore);
    for (const user of [...USERS, "linus"]) {
      const jar = new CookieJar();
      expect((await jar.fetch(`${old.url}/login/${user}`, { method: "POST" })).status).toBe(200);
      jars.set(user, jar);
    }
    await old.close();
    store = await createStore(SERVICE_URLS.postgres, { table: `${table}_new` });
    await store.migrate?.();
  });

  afterAll(async () => {
    await store?.close?.();
    await pool.query(`DROP TABLE IF EXISTS "${table}"`);
    await pool.query(`DROP TABLE IF EXISTS "${table}_new"`);
    await pool.end();
  });

  const count = async () =>
    Number((await pool.query(`SELECT count(*) AS n FROM "${table}"`)).rows[0].n);

  for (const framework of ["fastify", "express"] as const) {
    it(`keeps users signed in with their data on ${framework}`, async () => {
      const legacy = fromExpressSession({
        from: `${SERVICE_URLS.postgres}?table=${table}`,
        secrets: ["keyboard cat, the old app's secret"],
      });
      const options = { store, secrets: [NEW_SECRET], legacy };
      const app =
        framework === "fastify" ? await newFastifyApp(options) : await newExpressApp(options);
      try {
        const user = framework === "fastify" ? "ada" : "grace";
        const jar = jars.get(user)!;
        const before = await count();
        const res = await jar.fetch(`${app.url}/me`);
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ user, cart: ["apple", user] });
        expect(res.headers.getSetCookie().some((c) => /^connect\.sid=;.*Max-Age=0/i.test(c))).toBe(
          true,
        );
        expect(jar.cookies.has("connect.sid")).toBe(false);
        expect(jar.cookies.has("cloakroom")).toBe(true);
        expect(await count()).toBe(before - 1);
        await jar.fetch(`${app.url}/put/seen/yes`, { method: "POST" });
        expect(await (await jar.fetch(`${app.url}/me`)).json()).toMatchObject({
          user,
          cart: ["apple", user],
        });
      } finally {
        await app.close();
        await legacy.close();
      }
    });
  }
});

describeWithService("postgres", pgDown, "import from connect-pg-simple (keyset pages)", () => {
  const table = `migi_${randomBytes(4).toString("hex")}`;
  const pool = new pg.Pool({ connectionString: SERVICE_URLS.postgres, max: 2 });
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS "${table}"`);
    await pool.end();
  });

  it("reads every row across pages, skipping expired ones, and resumes from a sid", async () => {
    await pool.query(
      `CREATE TABLE "${table}" (sid varchar NOT NULL PRIMARY KEY, sess json NOT NULL, expire timestamp(6) NOT NULL)`,
    );
    for (let i = 0; i < 7; i++) {
      const expire = i === 3 ? -60 : 3600;
      await pool.query(
        `INSERT INTO "${table}" VALUES ($1, $2, to_timestamp(extract(epoch from now()) + $3))`,
        [
          `sid-${i}`,
          JSON.stringify({ cookie: { originalMaxAge: null, expires: null }, userId: `u${i}` }),
          expire,
        ],
      );
    }
    const source = await openLegacySource(`${SERVICE_URLS.postgres}?table=${table}`, 2000);
    const options = {
      format: "express-session" as const,
      userKeys: ["userId"],
      derive: (label: string) => label,
      idleTimeout: 60_000,
      absoluteTimeout: 3_600_000,
      maxBytes: 65536,
      dryRun: true,
      batchSize: 2,
    };
    try {
      const half = await importSessions(source, null, { ...options, limit: 4 });
      expect(half.cursor).toBe("sid-3");
      const rest = await importSessions(source, null, { ...options, resume: half });
      expect(rest.cursor).toBeNull();
      expect(rest.counts).toMatchObject({ scanned: 7, imported: 6 });
      expect(rest.counts.skipped.expired).toBe(1);
    } finally {
      await source.close();
    }
  });
});

describeWithService("redis", redisDown, "@fastify/session + connect-redis → Cloakroom", () => {
  const prefix = `migf-${randomBytes(4).toString("hex")}:`;
  const redis = createClient({ url: SERVICE_URLS.redis });
  let store: SessionStore;
  const jars = new Map<string, CookieJar>();

  beforeAll(async () => {
    await redis.connect();
    const old = await oldFastifyApp(new RedisStore({ client: redis, prefix }));
    for (const user of USERS) {
      const jar = new CookieJar();
      expect((await jar.fetch(`${old.url}/login/${user}`, { method: "POST" })).status).toBe(200);
      expect(await (await jar.fetch(`${old.url}/me`)).json()).toEqual({
        user,
        cart: ["pear", user],
      });
      expect(jar.cookies.has("sessionId")).toBe(true);
      jars.set(user, jar);
    }
    await old.close();
    store = await createStore("memory:");
  });

  afterAll(async () => {
    await store?.close?.();
    for (const k of await redis.keys(`${prefix}*`)) await redis.del(k);
    redis.destroy();
  });

  for (const framework of ["fastify", "express"] as const) {
    it(`keeps users signed in with their data on ${framework}`, async () => {
      const legacy = fromFastifySession({
        from: `${SERVICE_URLS.redis}?prefix=${prefix}`,
        secrets: "a @fastify/session secret, 32 chars or more",
      });
      const options = { store, secrets: [NEW_SECRET], legacy };
      const app =
        framework === "fastify" ? await newFastifyApp(options) : await newExpressApp(options);
      try {
        const user = framework === "fastify" ? "ada" : "grace";
        const jar = jars.get(user)!;
        const sid = decodeURIComponent(jar.cookies.get("sessionId")!).split(".")[0]!;
        expect(await redis.exists(prefix + sid)).toBe(1);
        const res = await jar.fetch(`${app.url}/me`);
        expect(await res.json()).toMatchObject({ user, cart: ["pear", user] });
        expect(res.headers.getSetCookie().some((c) => /^sessionId=;.*Max-Age=0/i.test(c))).toBe(
          true,
        );
        expect(jar.cookies.has("sessionId")).toBe(false);
        expect(await redis.exists(prefix + sid)).toBe(0);
        expect(await (await jar.fetch(`${app.url}/me`)).json()).toMatchObject({ user });
      } finally {
        await app.close();
        await legacy.close();
      }
    });
  }
});
