/** `cloakroom-fastify+redis`: the cloakroom-sessions/fastify plugin on the Redis store. */

import { sessionPlugin } from "cloakroom-sessions/fastify";
import Fastify from "fastify";
import { openSessions } from "./cloakroom-shared.js";
import { env, onShutdown, ready, USER_ID } from "./common.js";

const { store, sessions } = await openSessions("redis");
const app = Fastify({ logger: false });
await app.register(sessionPlugin, { manager: sessions });

app.post("/login", async (req) => {
  req.session.setUser(USER_ID).set("counter", 0);
  return { user: USER_ID };
});
app.get("/read", async (req) => ({ user: req.session.userId }));
app.post("/write", async (req) => {
  const counter = (req.session.get<number>("counter") ?? 0) + 1;
  req.session.set("counter", counter);
  return { counter };
});
app.post<{ Params: { k: string } }>("/set/:k", async (req) => {
  req.session.set(req.params.k, 1);
  return { ok: true };
});
app.get("/keys", async (req) => ({ keys: req.session.keys() }));

await app.listen({ port: env.port, host: "127.0.0.1" });
ready("cloakroom-fastify+redis");
onShutdown(async () => {
  await app.close();
  await store.close?.();
});
