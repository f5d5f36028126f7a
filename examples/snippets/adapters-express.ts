import { createSessions, createStore } from "cloakroom-sessions";
import { session } from "cloakroom-sessions/express";
import express from "express";

const sessions = createSessions({
  store: await createStore("sqlite:./data/sessions.db"),
  secrets: process.env.SESSION_SECRET, // "new,old" rotates; unset is a ConfigurationError
});

const app = express();
app.use(express.json());
app.use(session(sessions));

app.get("/", (req, res) => {
  const views = (req.session.get<number>("views") ?? 0) + 1;
  req.session.set("views", views);
  res.json({ views });
});

app.post("/login", (req, res) => {
  // …check the password first…
  req.session.setUser("alice"); // new token; the old one is dead at once
  res.redirect(303, "/");
});

app.post("/logout", (req, res) => {
  req.session.destroy(); // record removed, cookie cleared
  res.redirect(303, "/");
});

app.listen(3000, "127.0.0.1");
