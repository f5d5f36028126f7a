// examples/migrating/express-legacy-properties.ts — keep express-session style handlers while you port them.

import { createStore } from "cloakroom-sessions";
import { session } from "cloakroom-sessions/express";
import express from "express";

interface OldStyle {
  cart?: string[];
  regenerate(cb: (err?: unknown) => void): void;
  save(cb: (err?: unknown) => void): void;
}

const app = express();
app.use(
  session({
    store: await createStore("sqlite:./data/sessions.db"),
    secrets: [process.env.SESSION_SECRET!],
    legacyProperties: true, // only keys whose JSON changed are written
  }),
);
app.post("/cart/:item", (req, res) => {
  const s = req.session as unknown as OldStyle; // unported handler, unchanged body
  s.cart ??= [];
  s.cart.push(req.params.item);
  s.save(() => res.json({ cart: s.cart }));
});
