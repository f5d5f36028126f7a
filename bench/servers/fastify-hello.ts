/**
 * `fastify-hello`: the same routes with no session, the ceiling for the
 * Fastify scenarios.
 */
import Fastify from "fastify";
import { env, onShutdown, ready, USER_ID } from "./common.js";

const app = Fastify({ logger: false });
let counter = 0;
const keys = new Set<string>();

app.post("/login", async (_req, reply) => {
  reply.header("set-cookie", "sid=hello; Path=/; HttpOnly; SameSite=Lax");
  return { user: USER_ID };
});
app.get("/read", async () => ({ user: USER_ID }));
app.post("/write", async () => {
  counter += 1;
  return { counter };
});
app.post<{ Params: { k: string } }>("/set/:k", async (req) => {
  keys.add(req.params.k);
  return { ok: true };
});
app.get("/keys", async () => ({ keys: [...keys] }));

await app.listen({ port: env.port, host: "127.0.0.1" });
ready("fastify-hello");
onShutdown(() => app.close());
