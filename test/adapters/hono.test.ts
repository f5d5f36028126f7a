/**
 * The web adapter through Hono: the adapter conformance suite on a real
 * @hono/node-server, plus Hono specifics (responses with immutable headers,
 * errors thrown by handlers, a custom onError).
 */

import {
  type AdapterApp,
  adapterConformance,
  Client,
  InstrumentedStore,
  ADAPTER_SUITE_SECRET as SECRET,
} from "cloakroom-sessions/testing";
import { Hono } from "hono";
import { stream } from "hono/streaming";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SessionVariables, session } from "../../src/adapters/hono/index.js";
import { createSessions, type SessionManager } from "../../src/core/manager.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { ADAPTER_STORES } from "../support/adapter-stores.js";
import { serveFetch } from "../support/serve.js";

type App = Hono<{ Variables: SessionVariables }>;

function routes(app: App): void {
  app.get("/peek", (c) => c.text("ok"));
  app.get("/get/:key", (c) => {
    const s = c.get("session");
    return c.json({ value: s.get(c.req.param("key")) ?? null, isNew: s.isNew, userId: s.userId });
  });
  app.get("/all", (c) =>
    c.json({ data: c.get("session").toJSON(), userId: c.get("session").userId }),
  );
  app.put("/set/:key", async (c) => {
    const body = await c.req.json<{ value: never }>();
    c.get("session").set(c.req.param("key"), body.value);
    return c.body(null, 204);
  });
  app.delete("/del/:key", (c) => {
    c.get("session").delete(c.req.param("key"));
    return c.body(null, 204);
  });
  app.post("/regenerate", (c) => {
    c.get("session").regenerate();
    return c.body(null, 204);
  });
  app.post("/login/:user", (c) => {
    c.get("session").setUser(c.req.param("user"));
    return c.body(null, 204);
  });
  app.post("/logout", (c) => {
    c.get("session").destroy();
    return c.body(null, 204);
  });
  app.post("/mutate/:key", (c) => {
    try {
      (c.get("session").get(c.req.param("key")) as number[]).push(4);
      return c.json({ refused: false });
    } catch {
      return c.json({ refused: true });
    }
  });
  app.post("/reload/:key", async (c) => {
    const s = c.get("session");
    s.set(c.req.param("key"), "unsaved");
    await s.reload();
    return c.json({ value: s.get(c.req.param("key")) ?? null });
  });
  app.get("/stream", async (c) => {
    c.get("session").set("streamed", true);
    await c.get("session").save();
    return stream(c, async (s) => {
      await s.write("a");
      await s.write("b");
      await s.write("c");
    });
  });
  app.get("/devices", async (c) => {
    const s = c.get("session");
    const list = await c.get("sessions").listUserSessions(s.userId!, s);
    return c.json({ count: list.length, current: list[0]?.current ?? false });
  });
  app.post("/app-cookie", (c) => {
    c.header("set-cookie", "theme=dark; Path=/", { append: true });
    c.header("vary", "Accept-Encoding");
    c.get("session").set("x", 1);
    return c.json({ ok: true });
  });
}

function startApp({ manager }: { manager: SessionManager }): Promise<AdapterApp> {
  const app: App = new Hono();
  app.use(session(manager));
  routes(app);
  return serveFetch(app.fetch);
}

await adapterConformance("hono", startApp, ADAPTER_STORES);

describe("hono specifics", () => {
  const store = new InstrumentedStore(new MemoryStore({ sweepInterval: 0 }));
  const manager = createSessions({ store, secrets: [SECRET] });
  let app: AdapterApp;
  let client: Client;

  beforeAll(async () => {
    const a: App = new Hono();
    a.use(
      "/custom/*",
      session(manager, { onError: (err, c) => c.text(`sorry: ${err.code}`, 503) }),
    );
    a.use("/std/*", session(manager));
    a.get("/custom/read", (c) => c.json({ v: c.get("session").get("v") ?? null }));
    // Response.redirect() has immutable headers: the cookie must still get on it.
    a.post("/std/redirect", (c) => {
      c.get("session").set("v", 1);
      return Response.redirect("http://127.0.0.1/next", 303);
    });
    a.get("/std/list", async (c) => {
      await c.get("sessions").listUserSessions("someone");
      return c.text("listed");
    });
    app = await serveFetch(a.fetch);
    client = new Client(app.url);
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it("puts the cookie on a response with immutable headers", async () => {
    const r = await client.post("/std/redirect");
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("http://127.0.0.1/next");
    expect(r.cookie).toBeDefined();
  });

  it("maps a store error thrown inside a handler to 503, not Hono's 500", async () => {
    store.down = true;
    try {
      const r = await client.get("/std/list");
      expect(r.status).toBe(503);
      expect(r.json).toEqual({ error: "STORE_UNAVAILABLE" });
    } finally {
      store.down = false;
    }
  });

  it("answers with onError when given", async () => {
    const { cookie } = await client.post("/std/redirect");
    store.down = true;
    try {
      const r = await client.get("/custom/read", { cookie });
      expect(r.status).toBe(503);
      expect(r.text).toBe("sorry: STORE_UNAVAILABLE");
    } finally {
      store.down = false;
    }
  });
});
