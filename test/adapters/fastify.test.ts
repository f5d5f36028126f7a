/**
 * The Fastify adapter: the adapter conformance suite on a real Fastify 5
 * server, plus Fastify specifics — living next to @fastify/cookie, plugin
 * encapsulation, error replies from the onSend commit.
 */
import { Readable } from "node:stream";
import fastifyCookie from "@fastify/cookie";
import {
  type AdapterApp,
  adapterConformance,
  Client,
  InstrumentedStore,
  ADAPTER_SUITE_SECRET as SECRET,
} from "cloakroom-sessions/testing";
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionPlugin } from "../../src/adapters/fastify/index.js";
import { createSessions, type SessionManager } from "../../src/core/manager.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { ADAPTER_STORES } from "../support/adapter-stores.js";

type KeyParams = { Params: { key: string } };

function routes(app: FastifyInstance): void {
  app.get("/peek", async () => "ok");
  app.get<KeyParams>("/get/:key", async (req) => {
    const s = req.session;
    return { value: s.get(req.params.key) ?? null, isNew: s.isNew, userId: s.userId };
  });
  app.get("/all", async (req) => ({ data: req.session.toJSON(), userId: req.session.userId }));
  app.put<KeyParams & { Body: { value: never } }>("/set/:key", async (req, reply) => {
    req.session.set(req.params.key, req.body.value);
    return reply.code(204).send();
  });
  app.delete<KeyParams>("/del/:key", async (req, reply) => {
    req.session.delete(req.params.key);
    return reply.code(204).send();
  });
  app.post("/regenerate", async (req, reply) => {
    req.session.regenerate();
    return reply.code(204).send();
  });
  app.post<{ Params: { user: string } }>("/login/:user", async (req, reply) => {
    req.session.setUser(req.params.user);
    return reply.code(204).send();
  });
  app.post("/logout", async (req, reply) => {
    req.session.destroy();
    return reply.code(204).send();
  });
  app.post<KeyParams>("/mutate/:key", async (req) => {
    try {
      (req.session.get(req.params.key) as number[]).push(4);
      return { refused: false };
    } catch {
      return { refused: true };
    }
  });
  app.post<KeyParams>("/reload/:key", async (req) => {
    req.session.set(req.params.key, "unsaved");
    await req.session.reload();
    return { value: req.session.get(req.params.key) ?? null };
  });
  app.get("/stream", async (req, reply) => {
    req.session.set("streamed", true);
    await req.session.save();
    return reply.send(Readable.from(["a", "b", "c"]));
  });
  app.get("/devices", async (req) => {
    const list = await req.sessions.listUserSessions(req.session.userId!, req.session);
    return { count: list.length, current: list[0]?.current ?? false };
  });
  app.post("/app-cookie", async (req, reply) => {
    reply.header("set-cookie", "theme=dark; Path=/");
    reply.header("vary", "Accept-Encoding");
    req.session.set("x", 1);
    return { ok: true };
  });
}

async function listen(app: FastifyInstance): Promise<AdapterApp> {
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return { url, close: () => app.close() };
}

async function startApp({ manager }: { manager: SessionManager }): Promise<AdapterApp> {
  const app = Fastify({ forceCloseConnections: true });
  await app.register(sessionPlugin, { manager });
  routes(app);
  return listen(app);
}

await adapterConformance("fastify", startApp, ADAPTER_STORES);

describe("fastify specifics", () => {
  const store = new InstrumentedStore(new MemoryStore({ sweepInterval: 0 }));
  const manager = createSessions({ store, secrets: [SECRET] });
  let app: AdapterApp;
  let client: Client;

  beforeAll(async () => {
    const f = Fastify({ forceCloseConnections: true });
    await f.register(fastifyCookie);
    const scopedRoutes: FastifyPluginAsync = async (scoped) => {
      await scoped.register(sessionPlugin, { manager });
      scoped.post("/scoped/both", async (req, reply) => {
        reply.setCookie("theme", "dark", { path: "/" });
        req.session.set("n", 1);
        return { ok: true };
      });
    };
    await f.register(scopedRoutes);
    // Outside the scope that registered the plugin: no session.
    f.get("/outside", async (req) => ({ hasSession: req.session != null }));
    app = await listen(f);
    client = new Client(app.url);
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it("keeps @fastify/cookie's cookies next to the session cookie", async () => {
    const r = await client.post("/scoped/both");
    expect(r.status).toBe(200);
    expect(r.setCookies.some((c) => c.startsWith("theme=dark"))).toBe(true);
    expect(r.cookie).toBeDefined();
  });

  it("is scoped to the context that registers it", async () => {
    const r = await client.get("/outside");
    expect(r.json).toEqual({ hasSession: false });
  });

  it("answers 503 once when the commit in onSend fails, without a session cookie", async () => {
    store.down = true;
    try {
      const r = await client.post("/scoped/both");
      expect(r.status).toBe(503);
      expect(r.cookie).toBeUndefined();
      expect((r.json as { code?: string }).code).toBe("STORE_UNAVAILABLE");
    } finally {
      store.down = false;
    }
  });
});
