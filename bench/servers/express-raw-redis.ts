/**
 * `express-raw-redis`: the floor of any Redis-backed session on Express. A
 * signed cookie (HMAC-SHA256, checked in constant time), one Redis GET, one
 * JSON.parse on read; GET + SET on write. No expiry bookkeeping, no
 * concurrency safety: nothing a real session layer could do with less work.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { parse } from "cookie";
import express from "express";
import { createClient } from "redis";
import { env, IDLE_MS, onShutdown, ready, USER_ID } from "./common.js";

type Data = Record<string, unknown>;

const redis = createClient({ url: env.redisUrl });
await redis.connect();

const sign = (id: string) => createHmac("sha256", env.secret).update(id).digest("base64url");

function sessionId(header: string | undefined): string | null {
  const value = parse(header ?? "").sid;
  const dot = value?.lastIndexOf(".") ?? -1;
  if (value === undefined || dot < 0) return null;
  const id = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(sign(id));
  return given.length === expected.length && timingSafeEqual(given, expected) ? id : null;
}

async function load(header: string | undefined): Promise<{ id: string; data: Data } | null> {
  const id = sessionId(header);
  const text = id === null ? null : await redis.get(`raw:${id}`);
  return id === null || text === null ? null : { id, data: JSON.parse(text) as Data };
}

const save = (id: string, data: Data) =>
  redis.set(`raw:${id}`, JSON.stringify(data), { expiration: { type: "PX", value: IDLE_MS } });

const app = express();

app.post("/login", async (_req, res) => {
  const id = randomBytes(32).toString("base64url");
  await save(id, { userId: USER_ID, counter: 0 });
  res
    .cookie("sid", `${id}.${sign(id)}`, { httpOnly: true, sameSite: "lax" })
    .json({ user: USER_ID });
});
app.get("/read", async (req, res) => {
  const s = await load(req.headers.cookie);
  res.json({ user: s?.data.userId ?? null });
});
app.post("/write", async (req, res) => {
  const s = await load(req.headers.cookie);
  if (!s) return void res.status(401).json({ error: "no session" });
  s.data.counter = Number(s.data.counter ?? 0) + 1;
  await save(s.id, s.data);
  res.json({ counter: s.data.counter });
});
app.post("/set/:k", async (req, res) => {
  const s = await load(req.headers.cookie);
  if (!s) return void res.status(401).json({ error: "no session" });
  s.data[req.params.k] = 1;
  await save(s.id, s.data);
  res.json({ ok: true });
});
app.get("/keys", async (req, res) => {
  const s = await load(req.headers.cookie);
  res.json({ keys: Object.keys(s?.data ?? {}) });
});

const server = app.listen(env.port, "127.0.0.1", () => ready("express-raw-redis"));
onShutdown(async () => {
  server.close();
  await redis.quit();
});
