/**
 * `express-hello`: the same routes with no session at all, the ceiling every
 * Express scenario is measured against (throughput and CPU per request).
 */
import express from "express";
import { env, onShutdown, ready, USER_ID } from "./common.js";

const app = express();
let counter = 0;
const keys = new Set<string>();

app.post("/login", (_req, res) => {
  res.cookie("sid", "hello", { httpOnly: true, sameSite: "lax" }).json({ user: USER_ID });
});
app.get("/read", (_req, res) => {
  res.json({ user: USER_ID });
});
app.post("/write", (_req, res) => {
  counter += 1;
  res.json({ counter });
});
app.post("/set/:k", (req, res) => {
  keys.add(req.params.k);
  res.json({ ok: true });
});
app.get("/keys", (_req, res) => {
  res.json({ keys: [...keys] });
});

const server = app.listen(env.port, "127.0.0.1", () => ready("express-hello"));
onShutdown(async () => server.close());
