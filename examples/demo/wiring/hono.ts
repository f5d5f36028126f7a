/** The demo on Hono (on @hono/node-server) through `cloakroom-sessions/hono`. */
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve as listen } from "@hono/node-server";
import { session as honoSession, type SessionVariables } from "cloakroom-sessions/hono";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
// @ts-expect-error proxy-addr (Express's own dependency) ships no types
import proxyaddr from "proxy-addr";
import type { DemoContext } from "../app/context.js";
import type { DemoResponse } from "../app/http.js";
import { failure, notFound, ROUTES } from "../app/routes.js";
import { firstValues, flatHeaders, mediaType, serve } from "./neutral.js";

/** Above the session's 64 KiB, so an oversized value reaches the session and gets its 413. */
const BODY_LIMIT = 256 * 1024;

type Env = { Variables: SessionVariables };

export async function listenHono(ctx: DemoContext, port: number): Promise<Server> {
  const trust = trustOf(ctx.config.trustProxyHops);
  const app = new Hono<Env>();
  app.use(
    honoSession(ctx.sessions, {
      // Store down while loading the session: the demo's own 503 page or JSON.
      onError: (err, c) => toResponse(failure(ctx, { path: c.req.path }, err)),
    }),
  );
  app.use(
    bodyLimit({
      maxSize: BODY_LIMIT,
      onError: (c) => c.json({ error: "the request body is too large" }, 413),
    }),
  );
  for (const route of ROUTES) {
    app.on(route.method, route.path, async (c) => {
      const body = await readBody(c);
      if (body === BAD_BODY) return c.json({ error: "the request body could not be read" }, 400);
      const url = new URL(c.req.url);
      const out = await serve(
        route,
        {
          method: c.req.method,
          path: c.req.path,
          query: firstValues(url.searchParams),
          params: c.req.param() as Record<string, string>,
          body,
          contentType: mediaType(c.req.header("content-type")),
          headers: flatHeaders(c.req.header()),
          ip: remoteAddress(c, trust),
          session: c.get("session"),
        },
        ctx,
      );
      return toResponse(out);
    });
  }
  app.notFound((c) => toResponse(notFound(ctx, { path: c.req.path })));
  app.onError((err, c) => toResponse(failure(ctx, { path: c.req.path }, err)));

  return new Promise((resolve) => {
    const server = listen({ fetch: app.fetch, port, hostname: "127.0.0.1" }, (_info: AddressInfo) =>
      resolve(server as Server),
    );
  });
}

const BAD_BODY = Symbol("bad body");

/** Forms as an object of strings, JSON as any value, nothing as undefined. */
async function readBody(c: Context<Env>): Promise<unknown> {
  const type = mediaType(c.req.header("content-type"));
  try {
    if (type === "application/x-www-form-urlencoded") {
      const form = await c.req.parseBody();
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(form)) if (typeof v === "string") out[k] = v;
      return out;
    }
    if (type === "application/json") {
      const text = await c.req.text();
      return text === "" ? undefined : (JSON.parse(text) as unknown);
    }
  } catch {
    return BAD_BODY;
  }
  return undefined;
}

/**
 * The client address: @hono/node-server puts the Node request in
 * `c.env.incoming`. With TRUST_PROXY, X-Forwarded-For is read through
 * `proxy-addr` (what Express's `req.ip` uses), so all three frameworks agree.
 */
function remoteAddress(c: Context<Env>, trust: ((addr: string, i: number) => boolean) | null) {
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  const incoming = env?.incoming;
  if (!incoming) return null;
  if (trust === null) return incoming.socket?.remoteAddress ?? null;
  return proxyaddr(incoming, trust);
}

function trustOf(setting: number | string[] | null) {
  if (setting === null) return null;
  if (typeof setting === "number") return (_addr: string, i: number) => i < setting;
  return proxyaddr.compile(setting);
}

function toResponse(out: DemoResponse): Response {
  const headers = new Headers(out.headers);
  return new Response(out.status === 204 || out.body === "" ? null : out.body, {
    status: out.status,
    headers,
  });
}
