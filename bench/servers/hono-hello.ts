/**
 * `hono-hello`: the same routes on Hono with no session, the ceiling for
 * `cloakroom-hono+redis` (not in the list; added so the Hono
 * scenario has a same-framework baseline for CPU per request).
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { env, onShutdown, ready, USER_ID } from "./common.js";

const app = new Hono();
let counter = 0;
const keys = new Set<string>();

app.post("/login", (c) => {
  c.header("set-cookie", "sid=hello; Path=/; HttpOnly; SameSite=Lax");
  return c.json({ user: USER_ID });
});
app.get("/read", (c) => c.json({ user: USER_ID }));
app.post("/write", (c) => {
  counter += 1;
  return c.json({ counter });
});
app.post("/set/:k", (c) => {
  keys.add(c.req.param("k"));
  return c.json({ ok: true });
});
app.get("/keys", (c) => c.json({ keys: [...keys] }));

const server = serve({ fetch: app.fetch, port: env.port, hostname: "127.0.0.1" }, () =>
  ready("hono-hello"),
);
onShutdown(async () => server.close());
