// examples/migrating/express-api.ts — express-session calls and their Cloakroom equivalents.

import { createStore } from "cloakroom-sessions";
import { session } from "cloakroom-sessions/express";
import express from "express";

const app = express();
app.use(express.urlencoded({ extended: false }));
app.use(
  session({
    store: await createStore("sqlite:./data/sessions.db"),
    secrets: [process.env.SESSION_SECRET!],
  }),
);

app.post("/cart", (req, res) => {
  // req.session.cart = [...(req.session.cart ?? []), item]
  req.session.update<string[]>("cart", (cart) => [...(cart ?? []), String(req.body.item)]);
  // delete req.session.coupon   (express-session `unset: "destroy"` for one key)
  req.session.delete("coupon");
  res.redirect(303, "/cart");
});

app.post("/login", (req, res) => {
  // req.session.regenerate(cb) + req.session.user = id: one call, a new token, the old one dead.
  // `persistent` + `absoluteTimeout` replace cookie.maxAge ("remember me").
  req.session.setUser("user-42", { persistent: true, absoluteTimeout: 30 * 24 * 3600 * 1000 });
  res.redirect(303, "/");
});

app.post("/step", async (req, res) => {
  req.session.set("step", 2);
  // req.session.save(cb): only needed before streaming; otherwise the commit happens before the response ends.
  await req.session.save();
  // req.session.reload(cb)
  await req.session.reload();
  // req.session.touch(): nothing to call — the idle deadline moves by itself, one write per touch interval.
  res.json({ step: req.session.get("step") });
});

app.post("/logout", (req, res) => {
  // req.session.destroy(cb): record gone when the request commits, cookie cleared.
  req.session.destroy();
  res.redirect(303, "/");
});
