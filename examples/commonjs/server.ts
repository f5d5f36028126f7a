// A CommonJS app ("type": "commonjs"): TypeScript compiles these imports to
// require(), which loads cloakroom-sessions on Node >= 20.19 (require of ESM).

import { createSessions, createStore } from "cloakroom-sessions";
import {
  checkCsrf,
  createAuth,
  csrfToken,
  hashPassword,
  type UserDirectory,
} from "cloakroom-sessions/auth";
import { session } from "cloakroom-sessions/express";
import express from "express";

async function main(): Promise<void> {
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
  const app = express();
  app.use(express.json(), session(sessions));
  app.use((req, res, next) => {
    const r = checkCsrf(req.session, req.method, req.get("x-csrf-token"));
    r.ok ? next() : res.status(403).json({ error: "Invalid CSRF token" });
  });
  app.get("/csrf", (req, res) => {
    res.json({ token: csrfToken(req.session) });
  });
  app.post("/login", async (req, res) => {
    const r = await auth.login(req.session, {
      username: req.body.username,
      password: req.body.password,
      ip: req.ip,
    });
    if (r.ok) res.json({ user: r.user.username });
    else
      res
        .status(r.reason === "throttled" ? 429 : 401)
        .json({ error: "Wrong username or password" });
  });
  app.put("/cart", (req, res) => {
    req.session.update<string[]>("cart", (cart) => [...(cart ?? []), String(req.body.item)]);
    res.sendStatus(204);
  });
  app.get("/", async (req, res) => {
    const g = await auth.requireUser(req.session);
    res.json({ user: g.ok ? g.user.username : null, cart: req.session.get("cart") ?? [] });
  });
  app.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () =>
    console.log(`listening on ${process.env.PORT ?? 3000}`),
  );
}

void main();
