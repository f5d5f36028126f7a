/** The demo on Express 5 through `cloakroom-sessions/express`. */
import type { Server } from "node:http";
import { session } from "cloakroom-sessions/express";
import express, { type NextFunction, type Request, type Response } from "express";
import type { DemoContext } from "../app/context.js";
import type { DemoResponse } from "../app/http.js";
import { failure, notFound, ROUTES } from "../app/routes.js";
import { firstValues, flatHeaders, mediaType, serve } from "./neutral.js";

/** Body limits: above the session's 64 KiB so that an oversized value reaches it and gets its 413. */
const BODY_LIMIT = "256kb";

export async function listenExpress(ctx: DemoContext, port: number): Promise<Server> {
  const app = express();
  app.disable("x-powered-by");
  // TRUST_PROXY: which proxies' X-Forwarded-For/-Proto to believe for the client
  // address (device list, throttling) and protocol; none by default (the socket).
  app.set("trust proxy", ctx.config.trustProxyHops ?? false);
  app.use(session(ctx.sessions));
  app.use(express.urlencoded({ extended: false, limit: BODY_LIMIT }));
  // strict: false, since PUT /api/session/:key takes any JSON value, "42" or "\"x\"" included.
  app.use(express.json({ strict: false, limit: BODY_LIMIT }));

  for (const route of ROUTES) {
    const method = route.method.toLowerCase() as "get" | "post" | "put" | "delete";
    app[method](route.path, async (req: Request, res: Response) => {
      const out = await serve(
        route,
        {
          method: req.method,
          path: req.path,
          query: firstValues(new URL(req.originalUrl, "http://x").searchParams),
          params: { ...(req.params as Record<string, string>) },
          body: req.body,
          contentType: mediaType(req.headers["content-type"]),
          headers: flatHeaders(req.headers),
          ip: req.ip ?? req.socket.remoteAddress ?? null,
          session: req.session,
        },
        ctx,
      );
      send(res, out);
    });
  }
  app.use((req: Request, res: Response) => send(res, notFound(ctx, req)));
  // Errors raised before a route runs: the adapter's session load (503) or a body parser (400, 413, 415).
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: unknown }).status;
    const parserError = typeof (err as { type?: unknown }).type === "string";
    if (parserError && typeof status === "number" && status >= 400 && status < 500) {
      res.status(status).json({ error: "the request body could not be read" });
      return;
    }
    send(res, failure(ctx, req, err));
  });

  return new Promise((resolve, reject) => {
    const server = app.listen(port, "127.0.0.1", (err?: Error) =>
      err ? reject(err) : resolve(server),
    );
  });
}

function send(res: Response, out: DemoResponse): void {
  res.status(out.status);
  for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
  res.end(out.body);
}
