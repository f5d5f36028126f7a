import { createSessions, createStore } from "cloakroom-sessions";
import { createAuth, createPasskeys, type UserDirectory } from "cloakroom-sessions/auth";
import { sessionPlugin } from "cloakroom-sessions/fastify";
import Fastify from "fastify";
import { credentials } from "./passkeys-directory.js";

declare const users: UserDirectory; // as in examples/fastify/server.ts
const sessions = createSessions({
  store: await createStore("sqlite:./data/sessions.db"),
  secrets: process.env.SESSION_SECRET,
});
const auth = createAuth({ sessions, users });
const passkeys = await createPasskeys(auth, {
  credentials,
  rpID: "example.com",
  rpName: "Example",
  origins: ["https://example.com"],
});

const app = Fastify();
await app.register(sessionPlugin, { manager: sessions }); // + your CSRF check
app.post("/passkeys/sign-in/options", async (request) => passkeys.signInOptions(request.session));
app.post("/passkeys/sign-in", async (request, reply) => {
  const r = await passkeys.signIn(request.session, { response: request.body, ip: request.ip });
  return r.ok ? { user: r.user.username } : reply.code(r.status).send({ error: r.message });
});
app.post("/passkeys/step-up/options", async (request, reply) => {
  const r = await passkeys.stepUpOptions(request.session);
  return r.ok ? r.options : reply.code(r.status).send({ error: r.message });
});
app.post("/passkeys/step-up", async (request, reply) => {
  const r = await passkeys.stepUp(request.session, { response: request.body });
  return r.ok ? reply.code(204).send() : reply.code(r.status).send({ error: r.message });
});
await app.listen({ port: 3000 });
