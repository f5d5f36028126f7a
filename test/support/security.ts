import { connect } from "node:net";
import { InstrumentedStore } from "cloakroom-sessions/testing";
import express, { type ErrorRequestHandler, type Express } from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import { session } from "../../src/adapters/express/index.js";
import { sessionPlugin } from "../../src/adapters/fastify/index.js";
import { type SessionVariables, session as webSession } from "../../src/adapters/hono/index.js";
import { isCloakroomError } from "../../src/core/errors.js";
import { createSessions, type SessionManager } from "../../src/core/manager.js";
import type { SessionOptions } from "../../src/core/options.js";
import type { SessionStore } from "../../src/core/store.js";
import { signingKeys, signSecret, storeKeyOf } from "../../src/core/token.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { listening, serveFetch } from "./serve.js";

export const SECRET = "security-suite-secret-0123456789abcdef-0123456789";
export const OTHER_SECRET = "another-app-secret-0123456789abcdef-0123456789ab";

/** A clock the test moves by hand (manager `now` option); starts at the real time. */
export class Clock {
  t = Date.now();
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface SecApp {
  url: string;
  manager: SessionManager;
  store: InstrumentedStore;
  clock: Clock;
  close(): Promise<void>;
}

export const FRAMEWORKS = ["express", "fastify", "hono"] as const;
export type Framework = (typeof FRAMEWORKS)[number];

export interface SecAppOptions extends Partial<SessionOptions> {
  /** Which adapter serves the routes. @default "express" */
  framework?: Framework;
  /** The store to wrap; a fresh memory store without a sweeper by default. */
  backing?: SessionStore;
  /** Extra routes, mounted before the standard ones (Express only). */
  routes?: (app: Express) => void;
}

/**
 * | route | does |
 * |---|---|
 * | `GET /peek` | `"ok"`, never touches the session |
 * | `GET /who` | `{userId, isNew, data}` |
 * | `PUT /set/:key` | JSON body `{value}` → `session.set`; 204 (400 for refused keys/values) |
 * | `POST /login/:user` | `setUser(user)`; `?remember=<days>` makes it persistent for that long |
 * | `POST /regenerate` | `regenerate()` |
 * | `POST /logout` | `destroy()` |
 */
export async function startApp(options: SecAppOptions = {}): Promise<SecApp> {
  const clock = new Clock();
  const { backing, routes, framework = "express", ...rest } = options;
  const store = new InstrumentedStore(backing ?? new MemoryStore({ sweepInterval: 0 }));
  const manager = createSessions({ store, secrets: [SECRET], now: clock.now, ...rest });
  if (framework === "fastify") return { ...(await startFastify(manager)), manager, store, clock };
  if (framework === "hono") return { ...(await startHono(manager)), manager, store, clock };
  const app = express();
  app.use(express.json({ limit: "1mb" }));
  app.use(session(manager));
  routes?.(app);
  app.get("/peek", (_req, res) => {
    res.type("text").send("ok");
  });
  app.get("/who", (req, res) => {
    const s = req.session;
    res.json({ userId: s.userId, isNew: s.isNew, data: s.toJSON() });
  });
  app.put("/set/:key", (req, res) => {
    req.session.set(req.params.key, (req.body as { value?: never }).value);
    res.status(204).end();
  });
  app.post("/login/:user", (req, res) => {
    req.session.setUser(req.params.user, rotation(Number(req.query.remember ?? 0)));
    res.status(204).end();
  });
  app.post("/regenerate", (req, res) => {
    req.session.regenerate();
    res.status(204).end();
  });
  app.post("/logout", (req, res) => {
    req.session.destroy();
    res.status(204).end();
  });
  // Refused data is the client's fault (400); store failures keep their 503; no stack in any body.
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const status = isCloakroomError(err) && err.code === "SESSION_DATA_INVALID" ? 400 : null;
    res.status(status ?? (err as { status?: number }).status ?? 500).json({ error: err.code });
  };
  app.use(onError);
  return { ...(await listening(app.listen(0, "127.0.0.1"))), manager, store, clock };
}

/** `?remember=<days>` as rotate options. */
const rotation = (days: number) =>
  days > 0 ? { persistent: true, absoluteTimeout: days * 86_400_000 } : {};

/** The standard routes (see {@link startApp}) on Fastify 5 through cloakroom-sessions/fastify. */
async function startFastify(manager: SessionManager) {
  const app = Fastify({ forceCloseConnections: true });
  await app.register(sessionPlugin, { manager });
  type P = { Params: { key: string; user: string }; Querystring: { remember?: string } };
  app.get("/peek", async () => "ok");
  app.get("/who", async (req) => ({
    userId: req.session.userId,
    isNew: req.session.isNew,
    data: req.session.toJSON(),
  }));
  app.put<P & { Body: { value: never } }>("/set/:key", async (req, reply) => {
    req.session.set(req.params.key, req.body.value);
    return reply.code(204).send();
  });
  app.post<P>("/login/:user", async (req, reply) => {
    req.session.setUser(req.params.user, rotation(Number(req.query.remember ?? 0)));
    return reply.code(204).send();
  });
  app.post("/regenerate", async (req, reply) => {
    req.session.regenerate();
    return reply.code(204).send();
  });
  app.post("/logout", async (req, reply) => {
    req.session.destroy();
    return reply.code(204).send();
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return { url, close: () => app.close() };
}

/** The standard routes on Hono through cloakroom-sessions/web, served by @hono/node-server. */
async function startHono(manager: SessionManager) {
  const app = new Hono<{ Variables: SessionVariables }>();
  app.use(webSession(manager));
  app.get("/peek", (c) => c.text("ok"));
  app.get("/who", (c) => {
    const s = c.get("session");
    return c.json({ userId: s.userId, isNew: s.isNew, data: s.toJSON() });
  });
  app.put("/set/:key", async (c) => {
    const body = await c.req.json<{ value: never }>();
    c.get("session").set(c.req.param("key"), body.value);
    return c.body(null, 204);
  });
  app.post("/login/:user", (c) => {
    c.get("session").setUser(c.req.param("user"), rotation(Number(c.req.query("remember") ?? 0)));
    return c.body(null, 204);
  });
  app.post("/regenerate", (c) => {
    c.get("session").regenerate();
    return c.body(null, 204);
  });
  app.post("/logout", (c) => {
    c.get("session").destroy();
    return c.body(null, 204);
  });
  return serveFetch(app.fetch);
}

/** A signed token the server never issued, and the store key it would have: what SM-03 forges. */
export async function forgeSignedToken(secret = SECRET): Promise<{ token: string; key: string }> {
  const random = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  const token = await signSecret(signingKeys([secret]), random);
  return { token, key: await storeKeyOf(random) };
}

/** The store key of a cookie value the server issued (`v1.<secret>.<mac>`). */
export async function keyOfToken(token: string): Promise<string> {
  return storeKeyOf(token.split(".")[1]!);
}

export interface RawReply {
  status: number;
  /** Header lines as sent, names lower-cased, duplicates kept. */
  headers: [string, string][];
  body: string;
  /** The whole response text. */
  raw: string;
}

/**
 * One HTTP/1.1 request over a plain socket, `Connection: close`, bytes as
 * given (latin-1): duplicate header lines, control characters and sizes
 * that `fetch` would refuse to send all reach the server.
 */
export function rawRequest(url: string, head: string, body = ""): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => {
      const raw = Buffer.concat(chunks).toString("latin1");
      const [top = "", ...rest] = raw.split("\r\n\r\n");
      const [statusLine = "", ...lines] = top.split("\r\n");
      const headers = lines.map((l): [string, string] => {
        const i = l.indexOf(":");
        return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
      });
      resolve({
        status: Number(statusLine.split(" ")[1]),
        headers,
        body: rest.join("\r\n\r\n"),
        raw,
      });
    });
    socket.end(
      Buffer.from(`${head}\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n${body}`, "latin1"),
    );
  });
}

/** The Set-Cookie lines of a raw reply. */
export const setCookiesOf = (r: RawReply): string[] =>
  r.headers.filter(([k]) => k === "set-cookie").map(([, v]) => v);
