/**
 * The Express adapter: the adapter conformance suite on Express 5 and 4, plus what only Express
 * has — the held `res.end` (every signature), `res.writeHead` with array
 * headers (GHSA-76c9-3jph-rj3q), streaming without `save()`, error routing.
 */

import {
  type AdapterApp,
  adapterConformance,
  Client,
  InstrumentedStore,
  ADAPTER_SUITE_SECRET as SECRET,
} from "cloakroom-sessions/testing";
import express, { type ErrorRequestHandler, type Express } from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { session } from "../../src/adapters/express/index.js";
import { createSessions, type SessionManager } from "../../src/core/manager.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { ADAPTER_STORES } from "../support/adapter-stores.js";
import { listening } from "../support/serve.js";

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

function listen(app: Express): Promise<AdapterApp> {
  return listening(app.listen(0, "127.0.0.1"));
}

function starter(factory: typeof express) {
  return ({ manager }: { manager: SessionManager }): Promise<AdapterApp> => {
    const app = factory();
    app.use(factory.json({ limit: "1mb" }));
    app.use(session(manager));
    routes(app);
    return listen(app);
  };
}

await adapterConformance("express 5", starter(express), ADAPTER_STORES);

// Express 4 is installed under an alias (devDependency "express4": "npm:express@^4");
// a variable specifier because it has no types of its own: Express 5's describe it well enough.
const express4Name = "express4";
const express4 = ((await import(express4Name)) as { default: typeof express }).default;
await adapterConformance("express 4", starter(express4), ADAPTER_STORES);

describe("express: the held res.end", () => {
  const store = new InstrumentedStore(new MemoryStore({ sweepInterval: 0 }));
  const errors: string[] = [];
  const manager = createSessions({
    store,
    secrets: [SECRET],
    logger: { error: (message) => errors.push(message) },
  });
  let app: AdapterApp;
  let client: Client;
  const seen: unknown[] = [];

  beforeAll(async () => {
    const a = express();
    a.use(session(manager));
    const router = express.Router();
    router.use(session(manager)); // mounted twice: must still commit once
    a.use("/twice", router);
    router.get("/write", (req, res) => {
      req.session.set("n", 1);
      res.json({ ok: true });
    });
    a.get("/end-cb", (req, res) => {
      req.session.set("n", 1);
      res.end(() => seen.push("cb"));
    });
    a.get("/end-chunk-enc-cb", (req, res) => {
      req.session.set("n", 2);
      res.end("686921", "hex", () => seen.push("cb3"));
    });
    a.get("/write-head-array", async (req, res) => {
      req.session.set("n", 3);
      await req.session.save();
      res.writeHead(200, ["x-test", "y", "content-type", "text/plain"]);
      res.end("ok");
    });
    a.get("/stream-unsaved", (req, res) => {
      req.session.set("n", 4);
      res.write("a");
      res.end("b");
    });
    a.get("/fail", (req, res) => {
      req.session.set("n", 5);
      res.set("etag", '"stale"').json({ ok: true });
    });
    a.use(((err, _req, res, _next) => {
      res.status(err.status ?? 500).json({ code: err.code });
    }) as ErrorRequestHandler);
    app = await listen(a);
    client = new Client(app.url);
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it("calls end's callback and keeps (chunk, encoding, callback)", async () => {
    const r1 = await client.get("/end-cb");
    expect(r1.cookie).toBeDefined();
    const r2 = await client.get("/end-chunk-enc-cb");
    expect(r2.text).toBe("hi!");
    expect(r2.cookie).toBeDefined();
    await expect.poll(() => seen).toEqual(["cb", "cb3"]);
  });

  it("passes writeHead array headers through untouched (GHSA-76c9-3jph-rj3q)", async () => {
    const r = await client.get("/write-head-array");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-test")).toBe("y");
    expect(r.text).toBe("ok");
    expect(r.cookie).toBeDefined();
    expect(r.setCookies).toHaveLength(1);
  });

  it("logs, and sends no cookie, when the body streams before the session was saved", async () => {
    errors.length = 0;
    const r = await client.get("/stream-unsaved");
    expect(r.text).toBe("ab");
    expect(r.cookie).toBeUndefined();
    expect(errors.some((e) => e.includes("save()"))).toBe(true);
  });

  it("routes a failed commit to the app's error handler with status 503, dropping the held body", async () => {
    store.down = true;
    try {
      const r = await client.get("/fail");
      expect(r.status).toBe(503);
      expect(r.json).toEqual({ code: "STORE_UNAVAILABLE" });
      expect(r.headers.get("etag")).not.toBe('"stale"');
      expect(r.setCookies).toEqual([]);
    } finally {
      store.down = false;
    }
  });

  it("commits once when mounted twice", async () => {
    store.resetCounts();
    const r = await client.get("/twice/write");
    expect(r.setCookies).toHaveLength(1);
    expect(store.calls.create).toBe(1);
  });
});

// The hold lives on Express's response prototype when nothing wrapped the
// response before the middleware; these are the cases where that could go wrong.
describe("express: the hold on the response prototype", () => {
  const store = new InstrumentedStore(new MemoryStore({ sweepInterval: 0 }));
  const other = new InstrumentedStore(new MemoryStore({ sweepInterval: 0 }));
  const manager = createSessions({ store, secrets: [SECRET] });
  const second = createSessions({ store: other, secrets: [SECRET], cookie: { name: "second" } });
  let app: AdapterApp;
  let client: Client;
  /** What the outer `res.end` wrapper saw when it was called. */
  const seenByOuter: (string | undefined)[] = [];

  beforeAll(async () => {
    const a = express();
    // A sub-app with its own session middleware that falls through: the
    // parent answers after Express put the parent's prototypes back.
    const sub = express();
    sub.use(session(manager));
    sub.get("/fallthrough", (req, _res, next) => {
      req.session.set("sub", 1);
      next();
    });
    a.use("/sub", sub);
    a.get("/sub/fallthrough", (_req, res) => {
      res.json({ answeredBy: "parent" });
    });
    // A middleware mounted before the session that wraps res.end, as compression does:
    // the session must still be committed before that wrapper runs.
    const wrapped = express.Router();
    wrapped.use((_req, res, next) => {
      const end = res.end;
      res.end = function (this: typeof res, ...args: unknown[]) {
        seenByOuter.push(String(res.getHeader("set-cookie") ?? "") || undefined);
        return (end as (...a: unknown[]) => typeof res).apply(this, args);
      } as typeof res.end;
      next();
    });
    wrapped.use(session(manager));
    wrapped.get("/write", (req, res) => {
      req.session.set("wrapped", 1);
      res.json({ ok: true });
    });
    a.use("/wrapped", wrapped);
    // Two managers on one request: each commits its own session.
    const both = express.Router();
    both.use(session(manager));
    both.use((req, _res, next) => {
      req.session.set("first", 1);
      next();
    });
    both.use(session(second));
    both.get("/write", (req, res) => {
      req.session.set("second", 2);
      res.json({ manager: req.sessions === second });
    });
    a.use("/both", both);
    a.get("/plain", (req, res) => {
      res.json({ session: req.session === undefined, sessions: req.sessions === undefined });
    });
    app = await listen(a);
    client = new Client(app.url);
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    await other.close();
  });

  it("commits a sub-app's session when the parent app ends the response", async () => {
    store.resetCounts();
    const r = await client.get("/sub/fallthrough");
    expect(r.json).toEqual({ answeredBy: "parent" });
    expect(r.cookie).toBeDefined();
    expect(store.calls.create).toBe(1);
  });

  it("commits before a res.end wrapper mounted ahead of the middleware runs", async () => {
    seenByOuter.length = 0;
    const r = await client.get("/wrapped/write");
    expect(r.cookie).toBeDefined();
    expect(seenByOuter).toHaveLength(1);
    expect(seenByOuter[0]).toMatch(/^cloakroom=/);
  });

  it("commits the sessions of two managers on one request", async () => {
    store.resetCounts();
    other.resetCounts();
    const r = await client.get("/both/write");
    expect(r.json).toEqual({ manager: true });
    expect(r.setCookies.map((c) => c.split("=", 1)[0]).sort()).toEqual(["cloakroom", "second"]);
    expect(store.calls.create).toBe(1);
    expect(other.calls.create).toBe(1);
  });

  it("leaves responses of routes without the middleware untouched", async () => {
    const r = await client.get("/plain");
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ session: true, sessions: true });
    expect(r.setCookies).toEqual([]);
  });

  it("keeps req.sessions assignable by other code", async () => {
    const a = express();
    a.use((req, _res, next) => {
      (req as { sessions: unknown }).sessions = "theirs";
      next();
    });
    a.get("/", (req, res) => {
      res.json({ sessions: req.sessions as unknown });
    });
    const b = express();
    b.use(session(manager));
    b.get("/", (_req, res) => {
      res.json({});
    });
    const [first, hooks] = [await listen(a), await listen(b)];
    try {
      await new Client(hooks.url).get("/"); // installs the accessor on Express's request prototype
      expect((await new Client(first.url).get("/")).json).toEqual({ sessions: "theirs" });
    } finally {
      await first.close();
      await hooks.close();
    }
  });
});
