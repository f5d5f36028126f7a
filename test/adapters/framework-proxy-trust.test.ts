/**
 * The Secure / `__Host-` decision follows the framework's own proxy setting
 * (issue 14): Express with `app.set("trust proxy", 1)` and Fastify with
 * `trustProxy: true` behind a TLS-terminating proxy get a Secure cookie
 * without Cloakroom's separate `trustProxy`; without the framework setting,
 * a forged `X-Forwarded-Proto` still changes nothing.
 */
import type { AddressInfo } from "node:net";
import express from "express";
import Fastify from "fastify";
import { afterAll, describe, expect, it } from "vitest";
import { session } from "../../src/adapters/express/index.js";
import { sessionPlugin } from "../../src/adapters/fastify/index.js";
import { MemoryStore } from "../../src/stores/memory/index.js";

const secrets = "s".repeat(32);
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

async function expressApp(trustProxy: boolean): Promise<string> {
  const app = express();
  if (trustProxy) app.set("trust proxy", 1);
  app.use(session({ store: new MemoryStore(), secrets }));
  app.get("/", (req, res) => {
    req.session.set("seen", true);
    res.send("ok");
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

async function fastifyApp(trustProxy: boolean): Promise<string> {
  const app = Fastify({ trustProxy });
  await app.register(sessionPlugin, { store: new MemoryStore(), secrets });
  app.get("/", async (request) => {
    request.session.set("seen", true);
    return "ok";
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  closers.push(() => app.close());
  return `${url}/`;
}

async function setCookie(url: string): Promise<string> {
  const r = await fetch(url, { headers: { "x-forwarded-proto": "https" } });
  return r.headers.getSetCookie().find((l) => /cloakroom=/.test(l)) ?? "";
}

describe.each([
  ["Express trust proxy", expressApp],
  ["Fastify trustProxy", fastifyApp],
])("%s", (_name, start) => {
  it("trusted: X-Forwarded-Proto https gives Secure and __Host-", async () => {
    const line = await setCookie(await start(true));
    expect(line).toMatch(/^__Host-cloakroom=/);
    expect(line).toMatch(/;\s*Secure/i);
  });

  it("not trusted: the same header gives neither", async () => {
    const line = await setCookie(await start(false));
    expect(line).toMatch(/^cloakroom=/);
    expect(line).not.toMatch(/;\s*Secure/i);
  });
});
