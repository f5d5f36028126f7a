/**
 * The Hono middleware: `c.get("session")` in every handler, committed once
 * after the handler returns. Types only from `hono`, so this module costs
 * nothing at run time for users of the plain fetch helpers.
 */
import type { Context, MiddlewareHandler } from "hono";
import { type CloakroomError, isCloakroomError } from "../../core/errors.js";
import type { SessionManager } from "../../core/manager.js";
import { HEADERS_SENT_MESSAGE, managerOf, type SessionsConfig } from "../common/manager-of.js";
import { type HeaderTarget, OutcomeWriter } from "../common/outcome.js";
import { RequestSession } from "../common/request-session.js";
import { type ConnectionInfo, errorResponse, requestInfo } from "./fetch.js";

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
  const connection = options.connection ?? nodeServerConnection;
  const respond = (err: CloakroomError, c: Context) =>
    options.onError ? options.onError(err, c) : errorResponse(err);

  return async function cloakroomSession(c, next) {
    let loaded: Awaited<ReturnType<SessionManager["load"]>>;
    try {
      loaded = await manager.load(requestInfo(c.req.raw, connection(c)));
    } catch (err) {
      if (isCloakroomError(err)) return respond(err, c);
      throw err;
    }
    const onUnsent = () => manager.options.logger.error(HEADERS_SENT_MESSAGE);
    const s = new RequestSession(loaded, manager, new OutcomeWriter(contextTarget(c)), onUnsent);
    c.set("session", s);
    c.set("sessions", manager);
    await next();
    // Hono's default error handler answers 500 for anything without getResponse(); ours carry a status.
    let failure = isCloakroomError(c.error) && c.res.status === 500 ? c.error : null;
    if (failure === null) {
      try {
        await s.save();
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

/** The connection as @hono/node-server exposes it in `c.env.incoming`, if it does. */
function nodeServerConnection(c: Context): ConnectionInfo {
  const socket = (
    c.env as { incoming?: { socket?: { remoteAddress?: string; encrypted?: boolean } } }
  )?.incoming?.socket;
  if (!socket) return {};
  // The socket, not the URL: node-server takes the URL's scheme from an absolute-form request line.
  return { ip: socket.remoteAddress ?? null, encrypted: socket.encrypted === true };
}

/** Session headers written through Hono's `c.header()`, which copies a finalized response when needed. */
function contextTarget(c: Context): HeaderTarget {
  return {
    sent: () => false,
    get: (name) => c.res.headers.get(name) ?? undefined,
    set: (name, value) => c.header(name, value),
    getSetCookies: () => c.res.headers.getSetCookie(),
    setSetCookies: (values) => {
      c.header("set-cookie", undefined);
      for (const v of values) c.header("set-cookie", v, { append: true });
    },
  };
}
