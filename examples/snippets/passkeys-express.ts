import { createSessions, createStore } from "cloakroom-sessions";
import { createAuth, createPasskeys, type UserDirectory } from "cloakroom-sessions/auth";
import { session } from "cloakroom-sessions/express";
import express from "express";
import { credentials } from "./passkeys-directory.js";

declare const users: UserDirectory; // as in examples/express/server.ts
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

const app = express();
app.use(express.json(), session(sessions)); // + your CSRF check, as in examples/express
app.post("/passkeys/sign-in/options", async (req, res) => {
  res.json(await passkeys.signInOptions(req.session)); // the challenge stays in this session
});
app.post("/passkeys/sign-in", async (req, res) => {
  const r = await passkeys.signIn(req.session, { response: req.body, ip: req.ip ?? null });
  r.ok ? res.json({ user: r.user.username }) : res.status(r.status).json({ error: r.message });
}); // new session token, amr ["passkey", "uv"]
app.post("/passkeys/step-up/options", async (req, res) => {
  const r = await passkeys.stepUpOptions(req.session);
  r.ok ? res.json(r.options) : res.status(r.status).json({ error: r.message });
});
app.post("/passkeys/step-up", async (req, res) => {
  const r = await passkeys.stepUp(req.session, { response: req.body });
  r.ok ? res.sendStatus(204) : res.status(r.status).json({ error: r.message });
}); // same token; sudo mode opens
app.delete("/account", async (req, res) => {
  const g = await auth.requireRecentAuth(req.session, { method: "passkey" });
  if (!g.ok) return void res.status(g.status).json({ error: g.reason, need: "passkey" });
  res.sendStatus(204); // the most sensitive action: only a fresh passkey will do
});
app.listen(3000);
