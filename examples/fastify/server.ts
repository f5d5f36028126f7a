import { createSessions, createStore } from "cloakroom-sessions";
import {
  checkCsrf,
  createAuth,
  csrfToken,
  hashPassword,
  type UserDirectory,
} from "cloakroom-sessions/auth";
import { sessionPlugin } from "cloakroom-sessions/fastify";
import Fastify from "fastify";

const alice = {
  id: "1",
  username: "alice",
  roles: ["admin"],
  passwordHash: await hashPassword("correct horse battery staple"),
};
const users: UserDirectory = {
  findByUsername: async (name) => (name === alice.username ? alice : null),
  findById: async (id) => (id === alice.id ? alice : null),
  setPasswordHash: async (_id, hash) => {
    alice.passwordHash = hash;
  },
};

const store = await createStore(process.env.SESSION_STORE ?? "file:./data/sessions");
const sessions = createSessions({ store, secrets: process.env.SESSION_SECRET });
const auth = createAuth({ sessions, users });
const app = Fastify({ trustProxy: process.env.TRUST_PROXY === "1" }); // Secure/__Host- follow it
await app.register(sessionPlugin, { manager: sessions });
app.addHook("preHandler", async (request, reply) => {
  const body = request.body as { _csrf?: string } | undefined;
  const r = checkCsrf(
    request.session,
    request.method,
    body?._csrf ?? request.headers["x-csrf-token"],
  );
  if (!r.ok) return reply.code(403).send({ error: "Invalid CSRF token" });
});

app.get("/csrf", async (request) => ({ token: csrfToken(request.session) }));
app.post<{ Body: { username?: string; password?: string } }>("/login", async (request, reply) => {
  const { username, password } = request.body;
  const r = await auth.login(request.session, { username, password, ip: request.ip });
  if (r.ok) return { user: r.user.username };
  if (r.reason === "throttled") reply.header("Retry-After", String(r.retryAfterSeconds)).code(429);
  else reply.code(401);
  return { error: "Wrong username or password" };
});
app.put<{ Body: { item?: string } }>("/cart", async (request, reply) => {
  request.session.update<string[]>("cart", (cart) => [...(cart ?? []), String(request.body.item)]);
  return reply.code(204).send();
});
app.get("/", async (request) => {
  const g = await auth.requireUser(request.session);
  return { user: g.ok ? g.user.username : null, cart: request.session.get("cart") ?? [] };
});

const port = Number(process.env.PORT ?? 3000);
await app.listen({ port, host: "127.0.0.1" });
console.log(`listening on ${port}`);
