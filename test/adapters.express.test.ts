/**
 * The Express adapter: the adapter conformance suite, plus what only Express
 * has — the held `res.end` (every signature), `res.writeHead` with array
 * headers (GHSA-76c9-3jph-rj3q), streaming without `save()`, error routing.
 */
import type { AddressInfo } from "node:net";
import express, { type ErrorRequestHandler, type Express } from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { session } from "../src/adapters/express/index.js";
import { createSessions, type SessionManager } from "../src/core/manager.js";
import { MemoryStore } from "../src/stores/memory/index.js";
import { type AdapterApp, adapterConformance, SECRET } from "./conformance/adapter-suite.js";
import { Client } from "./conformance/http-client.js";

function routes(app: Express): void {
  app.get("/peek", (_req, res) => {
    res.type("text").send("ok");
  });
  app.get("/get/:key", (req, res) => {
    const s = req.session;
    res.json({ value: s.get(req.params.key) ?? null, isNew: s.isNew, userId: s.userId });
  });
  app.get("/all", (req, res) => {
    res.json({ data: req.session.toJSON(), userId: req.session.userId });
  });
  app.put("/set/:key", (req, res) => {
    req.session.set(req.params.key, req.body.value);
    res.status(204).end();
  });
  app.delete("/del/:key", (req, res) => {
    req.session.delete(req.params.key);
    res.sendStatus(204);
  });
  app.post("/regenerate", (req, res) => {
    req.session.regenerate();
    res.status(204).end();
  });
  app.post("/login/:user", (req, res) => {
    req.session.setUser(req.params.user);
    res.status(204).end();
  });
  app.post("/logout", (req, res) => {
    req.session.destroy();
    res.status(204).end();
  });
  app.post("/mutate/:key", (req, res) => {
    try {
      (req.session.get(req.params.key) as number[]).push(4);
      res.json({ refused: false });
    } catch {
      res.json({ refused: true });
    }
  });
  app.post("/reload/:key", async (req, res) => {
    req.session.set(req.params.key, "unsaved");
    await req.session.reload();
    res.json({ value: req.session.get(req.params.key) ?? null });
  });
  app.get("/stream", async (req, res) => {
    req.session.set("streamed", true);
    await req.session.save();
    res.write("a");
    res.write("b");
    res.end("c");
  });
  app.get("/devices", async (req, res) => {
    const list = await req.sessions.listUserSessions(req.session.userId!, req.session);
    res.json({ count: list.length, current: list[0]?.current ?? false });
  });
  app.post("/app-cookie", (req, res) => {
    res.cookie("theme", "dark");
    res.vary("Accept-Encoding");
    req.session.set("x", 1);
    res.json({ ok: true });
  });
}

async function listen(app: Express): Promise<AdapterApp> {
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function startApp({ manager }: { manager: SessionManager }): Promise<AdapterApp> {
  const app = express();
  app.use(express.json({ limit: "1mb" }));
  app.use(session(manager));
  routes(app);
  return listen(app);
}

await adapterConformance("express", startApp);
