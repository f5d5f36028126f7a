import { serve } from "@hono/node-server";
import { createSessions, createStore } from "cloakroom-sessions";
import {
  checkCsrf,
  createAuth,
  csrfToken,
  hashPassword,
  type UserDirectory,
} from "cloakroom-sessions/auth";
import { type SessionVariables, session } from "cloakroom-sessions/hono";
import { Hono } from "hono";

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
const app = new Hono<{ Variables: SessionVariables }>();
app.use(session(sessions));
app.use(async (c, next) => {
  const r = checkCsrf(c.get("session"), c.req.method, c.req.header("x-csrf-token"));
  if (!r.ok) return c.json({ error: "Invalid CSRF token" }, 403);
  await next();
});

app.get("/csrf", (c) => c.json({ token: csrfToken(c.get("session")) }));
app.post("/login", async (c) => {
  const { username, password } = await c.req.json<{ username?: string; password?: string }>();
  const r = await auth.login(c.get("session"), { username, password });
  if (r.ok) return c.json({ user: r.user.username });
  if (r.reason === "throttled") c.header("Retry-After", String(r.retryAfterSeconds));
  return c.json({ error: "Wrong username or password" }, r.reason === "throttled" ? 429 : 401);
});
app.put("/cart", async (c) => {
  const { item } = await c.req.json<{ item?: string }>();
  c.get("session").update<string[]>("cart", (cart) => [...(cart ?? []), String(item)]);
  return c.body(null, 204);
});
app.get("/", async (c) => {
  const g = await auth.requireUser(c.get("session"));
  return c.json({ user: g.ok ? g.user.username : null, cart: c.get("session").get("cart") ?? [] });
});

const port = Number(process.env.PORT ?? 3000);
serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => console.log(`listening on ${port}`));
