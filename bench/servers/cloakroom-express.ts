/**
 * Cloakroom on Express (`cloakroom-sessions/express`), the same routes as the
 * incumbents. One file for every store: the scenario files name the backend.
 */

import { session } from "cloakroom-sessions/express";
import express from "express";
import type { Backend } from "./cloakroom-shared.js";
import { openSessions } from "./cloakroom-shared.js";
import { env, onShutdown, ready, USER_ID } from "./common.js";

export async function serveExpress(backend: Backend, scenario: string): Promise<void> {
  const { store, sessions } = await openSessions(backend);
  const app = express();
  app.use(session(sessions));
  app.post("/login", (req, res) => {
    req.session.setUser(USER_ID).set("counter", 0);
    res.json({ user: USER_ID });
  });
  app.get("/read", (req, res) => {
    res.json({ user: req.session.userId });
  });
  app.post("/write", (req, res) => {
    const counter = (req.session.get<number>("counter") ?? 0) + 1;
    req.session.set("counter", counter);
    res.json({ counter });
  });
  app.post("/set/:k", (req, res) => {
    req.session.set(req.params.k, 1);
    res.json({ ok: true });
  });
  app.get("/keys", (req, res) => {
    res.json({ keys: req.session.keys() });
  });
  const server = app.listen(env.port, "127.0.0.1", () => ready(scenario));
  onShutdown(async () => {
    server.close();
    await store.close?.();
  });
}
