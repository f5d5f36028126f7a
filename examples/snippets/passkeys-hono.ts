import { serve } from "@hono/node-server";
import { createSessions, createStore } from "cloakroom-sessions";
import { createAuth, createPasskeys, type UserDirectory } from "cloakroom-sessions/auth";
import { type SessionVariables, session } from "cloakroom-sessions/hono";
import { Hono } from "hono";
import { credentials } from "./passkeys-directory.js";

declare const users: UserDirectory; // as in examples/hono/server.ts
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

const app = new Hono<{ Variables: SessionVariables }>();
app.use(session(sessions)); // + your CSRF check
app.post("/passkeys/sign-in/options", async (c) =>
  c.json(await passkeys.signInOptions(c.get("session"))),
);
app.post("/passkeys/sign-in", async (c) => {
  const r = await passkeys.signIn(c.get("session"), { response: await c.req.json() });
  return r.ok ? c.json({ user: r.user.username }) : c.json({ error: r.message }, r.status);
});
app.post("/passkeys/step-up/options", async (c) => {
  const r = await passkeys.stepUpOptions(c.get("session"));
  return r.ok ? c.json(r.options) : c.json({ error: r.message }, r.status);
});
app.post("/passkeys/step-up", async (c) => {
  const r = await passkeys.stepUp(c.get("session"), { response: await c.req.json() });
  return r.ok ? c.body(null, 204) : c.json({ error: r.message }, r.status);
});
serve({ fetch: app.fetch, port: 3000 });
