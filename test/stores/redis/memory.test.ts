/**
 * Bytes per session, as Redis itself counts them (MEMORY USAGE, key
 * included), for a session holding `{ cart: [1, 2, 3] }`: Cloakroom's hash
 * against express-session + connect-redis storing the same data, both
 * written by their real code paths on the same Redis. Prints the figures
 * quoted in docs/redis.md.
 */

import { testUser } from "cloakroom-sessions/testing";
import { RedisStore as ConnectRedisStore } from "connect-redis";
import express from "express";
import session from "express-session";
import { createClient, type RedisClientType } from "redis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createSessions } from "../../../src/core/manager.js";
import type { RequestInfo } from "../../../src/core/session.js";
import type { SessionStore } from "../../../src/core/store.js";
import { createStore } from "../../../src/stores/create-store.js";
import { sessionKey, userKey } from "../../../src/stores/redis/layout.js";
import { describeWithService, probe, SERVICE_URLS } from "../../support/services.js";

const url = SERVICE_URLS.redis;
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const unavailable = await probe("redis", async () => {
  const c = createClient({ url, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  c.on("error", () => undefined);
  await c.connect();
  c.destroy();
});

describeWithService("Redis", unavailable, "redis memory per session", () => {
  let raw: RedisClientType;
  let store: SessionStore;
  const usage = async (key: string) => Number(await raw.sendCommand(["MEMORY", "USAGE", key]));

  beforeAll(async () => {
    raw = createClient({ url }) as RedisClientType;
    await raw.connect();
    store = await createStore(url);
  });
  afterAll(async () => {
    await store?.close?.();
    raw?.destroy();
  });

  /** Ours: the core writes the session for a request, as an adapter would. */
  async function cloakroom(req: Partial<RequestInfo>, userId?: string) {
    const sessions = createSessions({ store, secrets: ["memory test secret, long enough: 32+"] });
    const s = await sessions.load({ cookie: null, encrypted: true, ...req });
    s.set("cart", [1, 2, 3]);
    if (userId) s.setUser(userId);
    await sessions.commit(s);
    return sessionKey("cr:", s._key!);
  }

  /** Theirs: express-session + connect-redis 9, cookie settings matching Cloakroom's defaults. */
  async function expressSession(): Promise<string> {
    const app = express();
    app.use(
      session({
        store: new ConnectRedisStore({ client: raw }),
        secret: "s",
        resave: false,
        saveUninitialized: false,
        // Cloakroom's defaults: 30 min idle, HttpOnly, SameSite=Lax, Path=/.
        cookie: { maxAge: 30 * 60_000, httpOnly: true, sameSite: "lax" },
      }),
    );
    app.get("/", (req, res) => {
      (req.session as unknown as { cart: number[] }).cart = [1, 2, 3];
      res.send("ok");
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    try {
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/`);
      const sid = /connect\.sid=s%3A([^.;]+)/.exec(res.headers.get("set-cookie") ?? "")?.[1];
      return `sess:${sid}`;
    } finally {
      server.close();
    }
  }

  it("a { cart: [1, 2, 3] } session takes at most half the bytes of express-session + connect-redis", async () => {
    const theirsKey = await expressSession();
    const theirs = await usage(theirsKey);
    const oursKey = await cloakroom({});
    const ours = await usage(oursKey);
    const withDevice = await usage(await cloakroom({ ip: "203.0.113.7", userAgent: FIREFOX }));
    const user = testUser();
    const signedInKey = await cloakroom({ ip: "203.0.113.7", userAgent: FIREFOX }, user);
    const signedIn = await usage(signedInKey);
    const index = await usage(userKey("cr:", user));
    console.log(
      [
        `express-session + connect-redis: ${theirs} B (${JSON.stringify(await raw.get(theirsKey))})`,
        `cloakroom, same data:            ${ours} B (${(ours / theirs).toFixed(2)}×)`,
        `cloakroom, + IP and user agent:  ${withDevice} B`,
        `cloakroom, signed in:            ${signedIn} B + user index ${index} B (one session)`,
      ].join("\n"),
    );
    expect(await raw.sendCommand(["OBJECT", "ENCODING", oursKey])).toBe("listpack");
    expect(await raw.sendCommand(["OBJECT", "ENCODING", signedInKey])).toBe("listpack");
    expect(ours).toBeLessThanOrEqual(theirs / 2);
    await raw.del([theirsKey]);
  });
});
