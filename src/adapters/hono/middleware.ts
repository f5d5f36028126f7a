/**
 * The Hono middleware: `c.get("session")` in every handler, committed once
 * after the handler returns. Types only from `hono`, so this module costs
 * nothing at run time for users of the plain fetch helpers.
 */
import type { Context, MiddlewareHandler } from "hono";
import { type CloakroomError, isCloakroomError } from "../../core/errors.js";
import type { SessionManager } from "../../core/manager.js";
import type { RequestInfo } from "../../core/session.js";
import { managerOf, type SessionsConfig } from "../common/manager-of.js";
import type { ResponseHeaders } from "../common/outcome.js";
import { RequestSession } from "../common/request-session.js";
import { type ConnectionInfo, errorResponse, requestInfo } from "../web/fetch.js";

/** The context variables the middleware sets: `c.get("session")`, `c.get("sessions")`. */
export interface SessionVariables {
  session: RequestSession;
  sessions: SessionManager;
}

export interface HonoSessionOptions {
  /**
   * What the runtime knows about the connection (client IP, TLS), which
   * `Request` does not carry.
   * @default on `@hono/node-server`, the socket's address and TLS state; elsewhere no IP and the URL's scheme
   * @example connection: (c) => ({ ip: getConnInfo(c).remote.address })
   */
  connection?: (c: Context) => ConnectionInfo;
  /**
   * The response for a Cloakroom error (store unavailable: 503; session too large: 413).
   * @default a JSON body `{"error": code}` with the error's status
   */
  onError?: (err: CloakroomError, c: Context) => Response | Promise<Response>;
}

/**
 * Session middleware for Hono.
 * @example
 * const app = new Hono<{ Variables: SessionVariables }>();
 * app.use(session({ store: await createStore("sqlite:./data/sessions.db"), secrets }));
 * app.get("/", (c) => c.json({ views: c.get("session").get("views") ?? 0 }));
 */
export function session(
  config: SessionsConfig,
  options: HonoSessionOptions = {},
): MiddlewareHandler<{ Variables: SessionVariables }> {
  const manager = managerOf(config);
  const connection = options.connection;
  const respond = (err: CloakroomError, c: Context) =>
    options.onError ? options.onError(err, c) : errorResponse(err);

  return async function cloakroomSession(c, next) {
    const s = new RequestSession<Context>(manager, CONTEXT_HEADERS, c);
    try {
      const info = requestInfoOf(c, connection);
      // Answered from memory (no cookie, a near cache): no promise to wait on.
      if (manager.loadNow(info, s) === undefined) await manager.load(info, s);
    } catch (err) {
      if (isCloakroomError(err)) return respond(err, c);
      throw err;
    }
    c.set("session", s);
    c.set("sessions", manager);
    await next();
    // Hono's default error handler answers 500 for anything without getResponse(); ours carry a status.
    let failure = isCloakroomError(c.error) && c.res.status === 500 ? c.error : null;
    if (failure === null) {
      try {
        if (!s._settle()) await s.save();
      } catch (err) {
        if (!isCloakroomError(err)) throw err;
        failure = err;
      }
    }
    if (failure !== null) {
      const res = await respond(failure, c);
      // Assigning over a response merges the old one's headers in; drop it first so the
      // error response carries none of the abandoned success response's headers.
      c.res = undefined;
      c.res = res;
    }
  };
}

interface NodeIncoming {
  headers?: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string; encrypted?: boolean };
}

/**
 * The request's facts straight from Node's IncomingMessage on
 * @hono/node-server: reading `c.req.raw.headers` there builds a whole web
 * `Headers` object per request (its lightweight Request materialises it on
 * first access), which a CPU profile showed as the adapter's largest cost.
 * Elsewhere, the standard `Request` and the `connection` option.
 */
function requestInfoOf(c: Context, connection: HonoSessionOptions["connection"]): RequestInfo {
  const incoming = (c.env as { incoming?: NodeIncoming } | undefined)?.incoming;
  const h = incoming?.headers;
  if (!h) return requestInfo(c.req.raw, connection?.(c) ?? {});
  // The socket, not the URL: node-server takes the URL's scheme from an absolute-form request line.
  const conn = connection?.(c);
  const socket = incoming?.socket;
  return {
    // Node joins repeated Cookie headers with "; " (RFC 6265 §5.4), as a fetch Request does.
    cookie: one(h.cookie),
    encrypted: conn
      ? (conn.encrypted ?? c.req.url.startsWith("https:"))
      : socket
        ? socket.encrypted === true
        : c.req.url.startsWith("https:"),
    forwardedProto: one(h["x-forwarded-proto"]),
    ip: conn ? (conn.ip ?? null) : (socket?.remoteAddress ?? null),
    userAgent: one(h["user-agent"]),
  };
}

function one(v: string | string[] | undefined): string | null {
  return Array.isArray(v) ? v.join(", ") : (v ?? null);
}

/**
 * Session headers written on the response's own `Headers`. Not through
 * `c.header()`: once the handler has returned, that copies the whole response
 * to change one header (on @hono/node-server it materialises a full web
 * `Response` and its body stream from the lightweight one, the adapter's
 * largest cost in a CPU profile). A response whose headers are immutable (one
 * returned by `fetch()`, `Response.redirect()`) throws a TypeError on the
 * first change, before anything is changed; that one goes through
 * `c.header()`, which copies it.
 */
const CONTEXT_HEADERS: ResponseHeaders<Context> = {
  sent: () => false,
  get: (c, name) => c.res.headers.get(name) ?? undefined,
  set: (c, name, value) =>
    onHeaders(
      c,
      (h) => h.set(name, value),
      () => c.header(name, value),
    ),
  getSetCookies: (c) => c.res.headers.getSetCookie(),
  setSetCookies: (c, values) =>
    onHeaders(
      c,
      (h) => {
        h.delete("set-cookie");
        for (const v of values) h.append("set-cookie", v);
      },
      () => {
        c.header("set-cookie", undefined);
        for (const v of values) c.header("set-cookie", v, { append: true });
      },
    ),
};

function onHeaders(c: Context, change: (h: Headers) => void, copy: () => void): void {
  try {
    change(c.res.headers);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    copy();
  }
}
