/**
 * `cloakroom-sessions/fastify`: a Fastify 5 plugin. `request.session` is loaded in
 * `onRequest` (no store call without a session cookie) and committed once in
 * `onSend`, before the headers leave. Store errors are thrown from the hooks
 * with `status` 503 (or 413), which Fastify's error handling answers with.
 *
 * Wrapped with fastify-plugin, like @fastify/cookie and @fastify/session: the
 * decorators and hooks belong to the context that registers it, not to a
 * private child, so `app.register(sessionPlugin, …)` at the root gives every
 * route a session. To limit sessions to some routes, register it inside your
 * own (encapsulated) plugin together with those routes.
 * Works with or without @fastify/cookie: the session cookie is read from the
 * raw `Cookie` header and written by appending to `Set-Cookie`, next to any
 * cookie `reply.setCookie()` adds.
 *
 * @example
 * import Fastify from "fastify";
 * import { sessionPlugin } from "cloakroom-sessions/fastify";
 *
 * const app = Fastify();
 * await app.register(sessionPlugin, { store: await createStore("sqlite:./data/sessions.db"), secrets });
 * app.get("/", async (request) => ({ views: request.session.get("views") ?? 0 }));
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { SessionManager } from "../../core/manager.js";
import type { SessionOptions } from "../../core/options.js";
import type { RequestInfo } from "../../core/session.js";
import { requireDriver } from "../../util/driver.js";
import { managerOf } from "../common/manager-of.js";
import type { ResponseHeaders } from "../common/outcome.js";
import { RequestSession } from "../common/request-session.js";

export { RequestSession } from "../common/request-session.js";

declare module "fastify" {
  interface FastifyRequest {
    /** This request's session (cloakroom), committed once in `onSend`. */
    session: RequestSession;
    /** The session manager: list a user's devices, revoke sessions. */
    sessions: SessionManager;
  }
}

/** Plugin options: the options of `createSessions`, or a ready manager as `{ manager }`. */
export type FastifySessionOptions = SessionOptions | { manager: SessionManager };

// Loaded synchronously: a top-level await here would make this entry point
// impossible to require() from CommonJS apps.
const fp = requireDriver<typeof import("fastify-plugin")>(
  "fastify-plugin",
  "cloakroom-sessions/fastify",
);

/** The request's session, marking whether `onSend` committed it already. */
class FastifySession extends RequestSession<FastifyReply> {
  _committed = false;
}

const plugin: FastifyPluginAsync<FastifySessionOptions> = async (fastify, opts) => {
  const manager = "manager" in opts ? opts.manager : managerOf(opts);

  // Fastify 5 refuses object defaults for decorations (shared across requests); null it is.
  fastify.decorateRequest("session", null as unknown as RequestSession);
  fastify.decorateRequest("sessions", null as unknown as SessionManager);

  // A callback hook, not an async one: a session answered from memory (no
  // cookie, a near cache) costs no promise.
  fastify.addHook("onRequest", (request, reply, done) => {
    const s = new FastifySession(manager, REPLY_HEADERS, reply);
    let info: RequestInfo;
    let now: FastifySession | undefined;
    try {
      info = requestInfo(request);
      now = manager.loadNow(info, s);
    } catch (err) {
      done(err as Error);
      return;
    }
    if (now !== undefined) {
      request.session = s;
      request.sessions = manager;
      done();
      return;
    }
    manager.load(info, s).then(() => {
      request.session = s;
      request.sessions = manager;
      done();
    }, done);
  });

  fastify.addHook("onSend", async (request, _reply, payload) => {
    const s = request.session as FastifySession | null;
    // Once per request: when the commit throws, Fastify sends an error reply, which runs onSend again.
    if (s === null || s._committed) return payload;
    s._committed = true;
    if (!s._settle()) await s.save();
    return payload;
  });
};

/**
 * The session plugin for Fastify 5.
 * @example await app.register(sessionPlugin, { store, secrets: process.env.SESSION_SECRET!.split(",") })
 */
export const sessionPlugin = fp(plugin, { fastify: "5.x", name: "cloakroom" });
export default sessionPlugin;

function requestInfo(request: FastifyRequest): RequestInfo {
  const forwarded = request.headers["x-forwarded-proto"];
  return {
    cookie: request.headers.cookie,
    // request.protocol is "https" on a TLS socket, and behind a proxy Fastify's
    // own trustProxy option trusts: Secure/__Host- follow the app's setting.
    encrypted:
      request.protocol === "https" ||
      (request.raw.socket as { encrypted?: boolean } | undefined)?.encrypted === true,
    forwardedProto: Array.isArray(forwarded) ? forwarded[0] : forwarded,
    // request.ip honours Fastify's own trustProxy setting for X-Forwarded-For.
    ip: request.ip ?? null,
    userAgent: request.headers["user-agent"] ?? null,
  };
}

function list(v: unknown): string[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
}

const REPLY_HEADERS: ResponseHeaders<FastifyReply> = {
  sent: (reply) => reply.sent || reply.raw.headersSent,
  get: (reply, name) => {
    const v = list(reply.getHeader(name));
    return v.length === 0 ? undefined : v.join(", ");
  },
  set: (reply, name, value) => {
    reply.header(name, value);
  },
  getSetCookies: (reply) => list(reply.getHeader("set-cookie")),
  setSetCookies: (reply, values) => {
    reply.removeHeader("set-cookie");
    if (values.length > 0) reply.header("set-cookie", values);
  },
};
