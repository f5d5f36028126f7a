import { createSessions, createStore } from "cloakroom-sessions";
import { checkCsrf, createAuth, csrfToken, type UserDirectory } from "cloakroom-sessions/auth";
import { session } from "cloakroom-sessions/express";
import express from "express";

declare const myUserDirectory: UserDirectory; // your user table: see "The user directory"

const sessions = createSessions({
  store: await createStore("sqlite:./data/sessions.db"),
  secrets: process.env.SESSION_SECRET,
});
const auth = createAuth({
  sessions,
  users: myUserDirectory,
  permissions: { admin: ["users:revoke"] },
});
const app = express()
  .use(express.urlencoded({ extended: false }))
  .use(session(sessions));

// CSRF on every state-changing request
app.use((req, res, next) => {
  const r = checkCsrf(req.session, req.method, req.body?._csrf ?? req.get("x-csrf-token"));
  if (r.ok) next();
  else res.status(403).send("Invalid CSRF token");
});
app.get("/login", (req, res) => {
  res.send(`<form method=post>
  <input name=username><input name=password type=password>
  <label><input type=checkbox name=remember> Remember me</label>
  <input type=hidden name=_csrf value="${csrfToken(req.session)}"><button>Sign in</button></form>`);
});
app.post("/login", async (req, res) => {
  const r = await auth.login(req.session, {
    username: req.body.username,
    password: req.body.password,
    remember: req.body.remember === "on",
    ip: req.ip ?? null,
  });
  if (r.ok) return res.redirect(303, "/");
  if (r.reason === "throttled") res.set("Retry-After", String(r.retryAfterSeconds)).status(429);
  else res.status(401);
  res.send("Wrong username or password"); // the same words for every failure
});
app.post("/logout", async (req, res) => {
  await auth.logout(req.session);
  res.redirect(303, "/login");
});
app.get("/admin", async (req, res) => {
  const g = await auth.requireRole(req.session, "admin");
  if (!g.ok) return g.status === 401 ? res.redirect(303, "/login") : res.sendStatus(403);
  res.send(`Hello ${g.user.username}`);
});
app.listen(3000);
