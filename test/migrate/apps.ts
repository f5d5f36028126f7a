/**
 * The apps of the switch-over scenarios: an "old" app on express-session or
 * @fastify/session (real libraries, real stores) that signs users in and
 * fills their sessions, and the "new" app on Cloakroom with the takeover on,
 * serving the same routes. Plus a cookie jar that keeps what a browser keeps.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import fastifyCookie from "@fastify/cookie";
import fastifySession from "@fastify/session";
import express from "express";
import expressSession from "express-session";
import Fastify from "fastify";
import { session as cloakroomExpress } from "../../src/adapters/express/index.js";
import { sessionPlugin } from "../../src/adapters/fastify/index.js";
import { isCloakroomError } from "../../src/core/errors.js";
import type { SessionOptions } from "../../src/core/options.js";

export interface Running {
  url: string;
  close(): Promise<void>;
}

export const OLD_SECRET = "keyboard cat, the old app's secret";
export const NEW_SECRET = "a-cloakroom-secret-of-at-least-32-bytes!!";

function listen(server: import("node:http").Server, port = 0): Promise<Running> {
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

/** The old app: express-session with the given store, passport-style `passport.user`. */
export function oldExpressApp(
  store: expressSession.Store,
  cookieName?: string,
  port = 0,
): Promise<Running> {
  const app = express();
  app.use(
    expressSession({
      store,
      secret: OLD_SECRET,
      resave: false,
      saveUninitialized: false,
      ...(cookieName ? { name: cookieName } : {}),
      cookie: { maxAge: 3_600_000 },
    }),
  );
  app.post("/login/:user", (req, res) => {
    const s = req.session as unknown as Record<string, unknown>;
    s.passport = { user: req.params.user };
    s.cart = ["apple", req.params.user];
    s.theme = "dark";
    res.json({ ok: true });
  });
  app.get("/login-form", (_req, res) => {
    res
      .type("html")
      .send('<form method="post" action="/login/ada"><button>Sign in</button></form>');
  });
  app.get("/me", (req, res) => {
    const s = req.session as unknown as { passport?: { user: string }; cart?: string[] };
    res.json({ user: s.passport?.user ?? null, cart: s.cart ?? null });
  });
  return listen(createServer(app), port);
}

/** The old app on @fastify/session with an express-session compatible store. */
export async function oldFastifyApp(store: expressSession.Store): Promise<Running> {
  const app = Fastify();
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: "a @fastify/session secret, 32 chars or more",
    store: store as never,
    saveUninitialized: false,
    cookie: { secure: false, maxAge: 3_600_000 },
  });
  app.post<{ Params: { user: string } }>("/login/:user", async (req) => {
    req.session.set("userId" as never, req.params.user as never);
    req.session.set("cart" as never, ["pear", req.params.user] as never);
    return { ok: true };
  });
  app.get("/me", async (req) => ({
    user: (req.session.get("userId" as never) as string | undefined) ?? null,
    cart: (req.session.get("cart" as never) as string[] | undefined) ?? null,
  }));
  await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    close: () => app.close(),
  };
}

/** The new app on Cloakroom's Express adapter: same routes, the Cloakroom API. */
export function newExpressApp(options: SessionOptions, port = 0): Promise<Running> {
  const app = express();
  app.use(cloakroomExpress(options));
  app.get("/me", (req, res) => {
    res.json({
      user: req.session.userId,
      cart: req.session.get("cart") ?? null,
      theme: req.session.get("theme") ?? null,
    });
  });
  app.post("/put/:key/:value", (req, res) => {
    req.session.set(req.params.key, req.params.value);
    res.json({ ok: true });
  });
  app.use(
    (err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(isCloakroomError(err) ? err.status : 500).json({ error: String(err) });
    },
  );
  return listen(createServer(app), port);
}

/** The new app on Cloakroom's Fastify adapter. */
export async function newFastifyApp(options: SessionOptions): Promise<Running> {
  const app = Fastify();
  await app.register(sessionPlugin, options);
  app.get("/me", async (req) => ({
    user: req.session.userId,
    cart: req.session.get("cart") ?? null,
  }));
  app.post<{ Params: { key: string; value: string } }>("/put/:key/:value", async (req) => {
    req.session.set(req.params.key, req.params.value);
    return { ok: true };
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    close: () => app.close(),
  };
}

/** The cookies a browser would keep for one origin: set, replaced, and deleted by Max-Age=0. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = "", ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const attr = (n: string) =>
        attrs.find((a) => a.trim().toLowerCase().startsWith(`${n}=`))?.split("=")[1];
      const maxAge = attr("max-age");
      const expires = attr("expires");
      const expired =
        maxAge !== undefined
          ? Number(maxAge) <= 0
          : expires !== undefined && Date.parse(expires) <= Date.now();
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set("cookie", this.header());
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    this.take(res);
    return res;
  }

  clone(): CookieJar {
    const j = new CookieJar();
    for (const [k, v] of this.cookies) j.cookies.set(k, v);
    return j;
  }
}
