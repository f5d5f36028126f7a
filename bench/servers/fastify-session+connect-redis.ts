/**
 * `fastify-session+connect-redis`: @fastify/session with connect-redis, as its
 * README shows, `saveUninitialized: false` and a 30-minute cookie `maxAge`.
 * At its default `rolling: true` it saves the session on every request;
 * `fastify-session+connect-redis-rolling-false` runs this file with
 * `BENCH_ROLLING=false`, its cheaper setting, a separate scenario.
 */
import fastifyCookie from "@fastify/cookie";
import fastifySession from "@fastify/session";
import { RedisStore } from "connect-redis";
import Fastify, { type FastifyRequest } from "fastify";
import { createClient } from "redis";
import { env, IDLE_MS, onShutdown, ready, USER_ID } from "./common.js";

/**
 * @fastify/session's `request.session`, typed by hand: cloakroom-sessions/fastify
 * augments `FastifyRequest.session` in the same TypeScript program.
 */
interface FSession {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  [key: string]: unknown;
}
const sess = (req: FastifyRequest) => req.session as unknown as FSession;

const redis = createClient({ url: env.redisUrl });
await redis.connect();

const app = Fastify({ logger: false });
await app.register(fastifyCookie);
await app.register(fastifySession, {
  secret: env.secret,
  store: new RedisStore({ client: redis }),
  saveUninitialized: false,
  rolling: process.env.BENCH_ROLLING !== "false",
  cookie: { httpOnly: true, sameSite: "lax", secure: false, maxAge: IDLE_MS },
});

app.post("/login", async (req) => {
  sess(req).set("userId", "user-42");
  sess(req).set("counter", 0);
  return { user: USER_ID };
});
app.get("/read", async (req) => ({ user: sess(req).get("userId") ?? null }));
app.post("/write", async (req) => {
  const counter = Number(sess(req).get("counter") ?? 0) + 1;
  sess(req).set("counter", counter);
  return { counter };
});
app.post<{ Params: { k: string } }>("/set/:k", async (req) => {
  sess(req).set(req.params.k, 1);
  return { ok: true };
});
app.get("/keys", async (req) => ({
  keys: Object.keys(sess(req)).filter((k) => k !== "cookie" && typeof sess(req)[k] !== "function"),
}));

await app.listen({ port: env.port, host: "127.0.0.1" });
ready(
  process.env.BENCH_ROLLING === "false"
    ? "fastify-session+connect-redis-rolling-false"
    : "fastify-session+connect-redis",
);
onShutdown(async () => {
  await app.close();
  await redis.quit();
});
