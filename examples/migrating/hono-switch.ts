// examples/migrating/hono-switch.ts — the same takeover on Hono (and any fetch-style server).

import { createSessions, createStore } from "cloakroom-sessions";
import { type SessionVariables, session } from "cloakroom-sessions/hono";
import { fromExpressSession } from "cloakroom-sessions/migrate";
import { Hono } from "hono";

const sessions = createSessions({
  store: await createStore("redis://127.0.0.1:6379/1"),
  secrets: [process.env.SESSION_SECRET!],
  legacy: fromExpressSession({
    from: "postgres://app@127.0.0.1/app?table=session", // connect-pg-simple's table
    secrets: [process.env.OLD_SESSION_SECRET!],
  }),
});
const app = new Hono<{ Variables: SessionVariables }>();
app.use(session(sessions));
app.get("/me", (c) => c.json({ user: c.get("session").userId }));
export default app;
