import { createStore } from "cloakroom-sessions";
import { sessionPlugin } from "cloakroom-sessions/fastify";
import Fastify from "fastify";

const app = Fastify();
await app.register(sessionPlugin, {
  store: await createStore("sqlite:./data/sessions.db"),
  secrets: process.env.SESSION_SECRET,
});
// or: await app.register(sessionPlugin, { manager: sessions });

app.get("/", async (request) => {
  const views = (request.session.get<number>("views") ?? 0) + 1;
  request.session.set("views", views);
  return { views };
});

await app.listen({ port: 3000, host: "127.0.0.1" });
