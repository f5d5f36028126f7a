/** The demo on Fastify 5 through `cloakroom-sessions/fastify`. */
import type { Server } from "node:http";
import { sessionPlugin } from "cloakroom-sessions/fastify";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import type { DemoContext } from "../app/context.js";
import type { DemoResponse } from "../app/http.js";
import { failure, notFound, ROUTES } from "../app/routes.js";
import { firstValues, flatHeaders, mediaType, serve } from "./neutral.js";

/** Above the session's 64 KiB, so an oversized value reaches the session and gets its 413. */
const BODY_LIMIT = 256 * 1024;

export async function listenFastify(ctx: DemoContext, port: number): Promise<Server> {
  // TRUST_PROXY: Fastify's trustProxy takes hops or addresses as Express does (req.ip follows it).
  const hops = ctx.config.trustProxyHops;
  const trustProxy =
    typeof hops === "number" ? (_addr: string, hop: number) => hop < hops : (hops ?? false);
  const app = Fastify({ bodyLimit: BODY_LIMIT, trustProxy });
  await app.register(sessionPlugin, { manager: ctx.sessions });
  // Fastify parses JSON itself (secure-json-parse: `__proto__` keys refused); forms need a parser.
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string" },
    (_req, body, done) => {
      const out: Record<string, string> = {};
      // First value wins, as in the cookie rules; a repeated field cannot override `_csrf`.
      for (const [k, v] of new URLSearchParams(body as string)) if (!(k in out)) out[k] = v;
      done(null, out);
    },
  );

  for (const route of ROUTES) {
    app.route({
      method: route.method,
      url: route.path,
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const url = new URL(req.url, "http://x");
        const out = await serve(
          route,
          {
            method: req.method,
            path: url.pathname,
            query: firstValues(url.searchParams),
            params: { ...(req.params as Record<string, string>) },
            body: req.body ?? undefined,
            contentType: mediaType(req.headers["content-type"]),
            headers: flatHeaders(req.headers),
            ip: req.ip ?? null,
            session: req.session,
          },
          ctx,
        );
        return send(reply, out);
      },
    });
  }
  app.setNotFoundHandler((req, reply) => send(reply, notFound(ctx, { path: pathOf(req) })));
  // Errors before a route runs: the adapter's session load (503) or Fastify's body parsing (4xx).
  app.setErrorHandler((err: { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode;
    if (typeof err.code === "string" && err.code.startsWith("FST_") && status && status < 500) {
      return reply.code(status).send({ error: "the request body could not be read" });
    }
    return send(reply, failure(ctx, { path: pathOf(req) }, err));
  });

  await app.listen({ port, host: "127.0.0.1" });
  return app.server;
}

const pathOf = (req: FastifyRequest) => new URL(req.url, "http://x").pathname;

function send(reply: FastifyReply, out: DemoResponse): FastifyReply {
  return reply
    .code(out.status)
    .headers(out.headers)
    .send(out.body === "" ? undefined : out.body);
}
