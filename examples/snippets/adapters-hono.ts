import { serve } from "@hono/node-server";
import { createStore } from "cloakroom-sessions";
import { type SessionVariables, session } from "cloakroom-sessions/hono";
import { Hono } from "hono";

const app = new Hono<{ Variables: SessionVariables }>();
app.use(
  session({
    store: await createStore("sqlite:./data/sessions.db"),
    secrets: process.env.SESSION_SECRET,
  }),
);

app.get("/", (c) => {
  const s = c.get("session");
  s.set("views", (s.get<number>("views") ?? 0) + 1);
  return c.json({ views: s.get("views") });
});

serve({ fetch: app.fetch, port: 3000, hostname: "127.0.0.1" });
