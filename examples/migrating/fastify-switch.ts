// examples/migrating/fastify-switch.ts — from @fastify/session: the switch and the API.

import { createStore } from "cloakroom-sessions";
import { sessionPlugin } from "cloakroom-sessions/fastify";
import { fromFastifySession } from "cloakroom-sessions/migrate";
import Fastify from "fastify";

const app = Fastify();
await app.register(sessionPlugin, {
  store: await createStore("postgres://app@127.0.0.1/app"),
  secrets: process.env.SESSION_SECRET!.split(","),
  cookie: { name: "sid" }, // @fastify/session `cookieName` (for Cloakroom's own cookie)
  legacy: fromFastifySession({
    from: "redis://127.0.0.1:6379/0?prefix=sess:", // the store @fastify/session used
    secrets: [process.env.OLD_SESSION_SECRET!],
    cookieName: "sessionId", // @fastify/session's cookie
    userKey: "userId", // where the old sessions kept the user id
  }),
});
app.post("/login", async (request) => {
  // await request.session.regenerate(); request.session.set("userId", id)
  request.session.setUser("user-42");
  return { ok: true };
});
app.get("/cart", async (request) => ({ cart: request.session.get<string[]>("cart") ?? [] })); // .get: same name
app.post("/logout", async (request) => {
  request.session.destroy(); // await request.session.destroy()
  return { ok: true };
});
