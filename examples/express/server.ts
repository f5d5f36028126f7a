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

// Your users table, three methods; here one user in memory.
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
const sessions = createSessions({ store, secrets: process.env.SESSION_SECRET }); // "new,old" rotates
const auth = createAuth({ sessions, users });
const app = express();
app.use(express.urlencoded({ extended: false }), express.json(), session(sessions));
app.use((req, res, next) => {
  // CSRF on POST/PUT/PATCH/DELETE
  const r = checkCsrf(req.session, req.method, req.body?._csrf ?? req.get("x-csrf-token"));
  r.ok ? next() : res.status(403).send("Invalid CSRF token");
});
app.get("/csrf", (req, res) => {
  res.json({ token: csrfToken(req.session) });
}); // put it in your forms
app.post("/login", async (req, res) => {
  const { username, password, remember } = req.body;
  const r = await auth.login(req.session, {
    username,
    password,
    remember: remember === "on",
    ip: req.ip,
  });
  if (r.ok) return res.redirect(303, "/"); // new token: the old one is dead
  if (r.reason === "throttled") res.set("Retry-After", String(r.retryAfterSeconds)).status(429);
  else res.status(401);
  res.send("Wrong username or password"); // same words, same time, unknown user or not
});
app.post("/logout", async (req, res) => {
  await auth.logout(req.session);
  res.redirect(303, "/");
});
app.put("/cart", (req, res) => {
  req.session.update<string[]>("cart", (cart) => [...(cart ?? []), String(req.body.item)]);
  res.sendStatus(204); // written once, as a field-level patch
});
app.get("/", async (req, res) => {
  const g = await auth.requireUser(req.session); // looked up fresh on each request
  res.json({ user: g.ok ? g.user.username : null, cart: req.session.get("cart") ?? [] });
});
app.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () =>
  console.log(`listening on ${process.env.PORT ?? 3000}`),
);
