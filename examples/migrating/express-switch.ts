// examples/migrating/express-switch.ts — the switch on Express: express-session's users stay signed in.

import { createStore } from "cloakroom-sessions";
import { session } from "cloakroom-sessions/express";
import { fromExpressSession } from "cloakroom-sessions/migrate";
import express from "express";

const app = express();
app.use(
  session({
    store: await createStore(process.env.SESSION_STORE ?? "redis://127.0.0.1:6379/1"),
    secrets: process.env.SESSION_SECRET!.split(","),
    // The one addition: take over connect.sid sessions until the given date.
    legacy: fromExpressSession({
      from: "redis://127.0.0.1:6379/0?prefix=sess:", // where connect-redis kept them
      secrets: [process.env.OLD_SESSION_SECRET!], // express-session's `secret`
      acceptLegacyUntil: new Date("2027-01-31"),
    }),
  }),
);
app.get("/me", (req, res) => {
  res.json({ user: req.session.userId, cart: req.session.get("cart") ?? [] });
});
app.listen(3000);
