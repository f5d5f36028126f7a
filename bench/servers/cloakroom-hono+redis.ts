/** `cloakroom-hono+redis`: cloakroom-sessions/web's Hono middleware on the Redis store, served by @hono/node-server. */
import { serve } from "@hono/node-server";
import { type SessionVariables, session } from "cloakroom-sessions/hono";
import { Hono } from "hono";
import { openSessions } from "./cloakroom-shared.js";
import { env, onShutdown, ready, USER_ID } from "./common.js";

const { store, sessions } = await openSessions("redis");
const app = new Hono<{ Variables: SessionVariables }>();
app.use(session(sessions));

app.post("/login", (c) => {
  c.get("session").setUser(USER_ID).set("counter", 0);
  return c.json({ user: USER_ID });
});
app.get("/read", (c) => c.json({ user: c.get("session").userId }));
app.post("/write", (c) => {
  const s = c.get("session");
  const counter = (s.get<number>("counter") ?? 0) + 1;
  s.set("counter", counter);
  return c.json({ counter });
});
app.post("/set/:k", (c) => {
  c.get("session").set(c.req.param("k"), 1);
  return c.json({ ok: true });
});
app.get("/keys", (c) => c.json({ keys: c.get("session").keys() }));

const server = serve({ fetch: app.fetch, port: env.port, hostname: "127.0.0.1" }, () =>
  ready("cloakroom-hono+redis"),
);
onShutdown(async () => {
  server.close();
  await store.close?.();
});
