/**
 * Finding 11 (issue 10) / issue 12: nothing secret is reachable from a
 * request. `req.sessions.options.keys.keys[0].bytes` used to be the raw
 * signing secret, printed by `JSON.stringify`, `util.inspect` and error
 * serialisers. On Express, Fastify and Hono, a handler walks everything it
 * can reach from its session and manager — own properties, symbols,
 * non-enumerable ones, getters up the prototype chain — and finds no key
 * bytes, no KeyObject and no secret string; printing them shows none either.
 */
import { KeyObject } from "node:crypto";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import { afterAll, describe, expect, it } from "vitest";
import { session as expressSession } from "../../src/adapters/express/index.js";
import { sessionPlugin } from "../../src/adapters/fastify/index.js";
import { type SessionVariables, session as webSession } from "../../src/adapters/hono/index.js";
import { createSessions } from "../../src/core/manager.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { serveFetch } from "../support/serve.js";

const SECRET = "walk-me-secret-0123456789abcdefghijklmnopqrstuvwxyz";
const OLD_SECRET = "older-secret-0123456789abcdefghijklmnopqrstuvwxyz!";
const SECRETS = [SECRET, OLD_SECRET];
const needles = SECRETS.flatMap((s) => {
  const b = Buffer.from(s);
  return [s, b.toString("base64"), b.toString("base64url"), b.toString("hex")];
});

/** Every problem found walking from `roots`: a path and what was there. */
function walk(roots: Record<string, unknown>): string[] {
  const found: string[] = [];
  const seen = new WeakSet<object>();
  const queue: [unknown, string][] = Object.entries(roots).map(([k, v]) => [v, k]);
  let visited = 0;
  while (queue.length > 0 && visited < 200_000) {
    const [value, path] = queue.shift()!;
    visited++;
    if (typeof value === "string") {
      if (needles.some((n) => value.includes(n))) found.push(`${path}: a secret string`);
      continue;
    }
    if ((typeof value !== "object" && typeof value !== "function") || value === null) continue;
    if (seen.has(value)) continue;
    seen.add(value);
    if (value instanceof KeyObject) {
      found.push(`${path}: a KeyObject`);
      continue;
    }
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
      const text = Buffer.from(
        value instanceof ArrayBuffer ? value : value.buffer,
        value instanceof ArrayBuffer ? 0 : value.byteOffset,
        value.byteLength,
      ).toString("latin1");
      if (SECRETS.some((s) => text.includes(s))) found.push(`${path}: key bytes`);
      continue;
    }
    if (value instanceof Map) {
      for (const [k, v] of value) queue.push([k, `${path}<key>`], [v, `${path}<value>`]);
    } else if (value instanceof Set) {
      for (const v of value) queue.push([v, `${path}<member>`]);
    }
    // Own properties of every kind, then getters up the prototype chain (invoked).
    for (const key of Reflect.ownKeys(value)) {
      const d = Object.getOwnPropertyDescriptor(value, key)!;
      const name = `${path}.${String(key)}`;
      if ("value" in d) queue.push([d.value, name]);
      else if (d.get) queue.push([tryGet(value, key), name]);
    }
    let proto = Object.getPrototypeOf(value) as object | null;
    while (proto !== null && proto !== Object.prototype && proto !== Function.prototype) {
      for (const key of Reflect.ownKeys(proto)) {
        const d = Object.getOwnPropertyDescriptor(proto, key)!;
        if (d.get) queue.push([tryGet(value, key), `${path}.${String(key)}`]);
      }
      proto = Object.getPrototypeOf(proto) as object | null;
    }
  }
  return found;
}

function tryGet(target: object, key: PropertyKey): unknown {
  try {
    return Reflect.get(target, key);
  } catch {
    return undefined;
  }
}

function printed(values: unknown[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    const texts = [
      JSON.stringify(v) ?? "",
      inspect(v, { depth: 20, showHidden: true, getters: true }),
      String(v),
    ];
    for (const t of texts) if (needles.some((n) => t.includes(n))) out.push(t.slice(0, 200));
  }
  return out;
}

interface Findings {
  walked: string[];
  printed: string[];
}

const inspectRequest = (session: unknown, sessions: unknown): Findings => ({
  walked: walk({ session, sessions }),
  printed: printed([session, sessions, (sessions as { options: unknown }).options]),
});

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

async function startExpress(): Promise<string> {
  const manager = createSessions({
    store: new MemoryStore({ sweepInterval: 0 }),
    secrets: SECRETS,
  });
  const app = express();
  app.use(expressSession(manager));
  app.get("/walk", (req, res) => {
    req.session.set("x", 1);
    res.json(inspectRequest(req.session, req.sessions));
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function startFastify(): Promise<string> {
  const app = Fastify();
  await app.register(sessionPlugin, {
    store: new MemoryStore({ sweepInterval: 0 }),
    secrets: SECRETS,
  });
  app.get("/walk", async (req) => {
    req.session.set("x", 1);
    return inspectRequest(req.session, req.sessions);
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  closers.push(() => app.close());
  return url;
}

async function startHono(): Promise<string> {
  const app = new Hono<{ Variables: SessionVariables }>();
  app.use(webSession({ store: new MemoryStore({ sweepInterval: 0 }), secrets: SECRETS }));
  app.get("/walk", (c) => {
    c.get("session").set("x", 1);
    return c.json(inspectRequest(c.get("session"), c.get("sessions")));
  });
  const served = await serveFetch(app.fetch);
  closers.push(() => served.close());
  return served.url;
}

describe.each([
  ["express", startExpress],
  ["fastify", startFastify],
  ["hono", startHono],
] as const)("%s", (_name, start) => {
  it("no key material is reachable or printable from the request's session objects", async () => {
    const url = await start();
    // Twice: the second request carries a cookie, so the verifier and its cache are in play.
    const first = await fetch(`${url}/walk`);
    const cookie = first.headers.getSetCookie()[0]!.split(";", 1)[0]!;
    expect(await first.json()).toEqual({ walked: [], printed: [] });
    const second = await fetch(`${url}/walk`, { headers: { cookie } });
    expect(await second.json()).toEqual({ walked: [], printed: [] });
  });
});

it("the walker does find a key when one is reachable (the test can fail)", () => {
  const leaky = { options: { keys: [Buffer.from(SECRET)] } };
  expect(walk({ leaky })).toEqual(["leaky.options.keys.0: key bytes"]);
  expect(walk({ s: `x${SECRET}` })).toHaveLength(1);
});
