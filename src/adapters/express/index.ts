/**
 * `cloakroom-sessions/express`: session middleware for Express 4 and 5.
 *
 * @example
 * import express from "express";
 * import { createStore } from "cloakroom-sessions";
 * import { session } from "cloakroom-sessions/express";
 *
 * const app = express();
 * app.use(session({ store: await createStore("sqlite:./data/sessions.db"), secrets: [process.env.SESSION_SECRET!] }));
 * app.get("/", (req, res) => {
 *   req.session.set("views", (req.session.get<number>("views") ?? 0) + 1);
 *   res.json({ views: req.session.get("views") });
 * });
 */
import type { ServerResponse } from "node:http";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { SessionManager } from "../../core/manager.js";
import type { Logger } from "../../core/options.js";
import type { RequestInfo } from "../../core/session.js";
import { managerOf, type SessionsConfig } from "../common/manager-of.js";
import { mergeVary, type ResponseHeaders } from "../common/outcome.js";
import { RequestSession } from "../common/request-session.js";
import { commitBeforeEnd, type HeldResponse } from "./commit-before-end.js";
import { prototypeHold } from "./prototype-hold.js";

export type { SessionsConfig } from "../common/manager-of.js";
export { RequestSession } from "../common/request-session.js";

declare global {
  namespace Express {
    interface Request {
      /** This request's session (cloakroom). Changes are committed before the response ends. */
      session: RequestSession;
      /** The session manager: list a user's devices, revoke sessions. */
      sessions: SessionManager;
    }
  }
}

type Method = (this: ServerResponse, ...args: unknown[]) => unknown;

/** The request's session, which is also the state of its held `res.end`: one object per request. */
class ExpressSession extends RequestSession<ServerResponse> implements HeldResponse {
  _end!: Method;
  _writeHead!: Method;
  _phase: HeldResponse["_phase"] = "open";
  _next: NextFunction;
  _logger: Logger;
  /** Held by the shared prototype hooks (true) or by wrappers on `res` itself. */
  _onPrototype = false;
  /** A session of another manager this one replaced as `req.session` on the same request. */
  _displaced: ExpressSession | undefined = undefined;

  constructor(manager: SessionManager, res: ServerResponse, next: NextFunction) {
    super(manager, RESPONSE_HEADERS, res);
    this._next = next;
    this._logger = manager.options.logger;
  }

  _commitHeld(): Promise<void> {
    return this.save();
  }

  // The same condition the manager uses for `vary` (the response depends on the session).
  _earlyHead(res: ServerResponse): void {
    if (this._accessed || this._hadCookie) res.setHeader("vary", mergeVary(header(res, "vary")));
  }
}

/**
 * The session middleware. Loads `req.session` (no store call without a
 * session cookie), and commits its changes once, before the response is
 * finished. A store failure goes to `next(err)` with `err.status` 503
 * (`StoreUnavailableError`) or 413 (`SessionTooLargeError`), so Express's
 * error handling answers it — never a 200 for a write that did not happen.
 * @param config a `SessionManager`, or the options of `createSessions`
 */
export function session(config: SessionsConfig): RequestHandler {
  const manager = managerOf(config);
  // Not an async function: a session answered from memory (no cookie, a near
  // cache) is attached at once, with no promise for Express to wait on.
  return function cloakroomSession(
    req: Request,
    res: Response,
    next: NextFunction,
  ): Promise<void> | undefined {
    // Mounted twice (app and router): the first one already owns this request.
    if (req.sessions === manager && req.session instanceof RequestSession) {
      next();
      return;
    }
    const s = new ExpressSession(manager, res, next);
    let info: RequestInfo;
    let now: ExpressSession | undefined;
    try {
      info = requestInfo(req);
      now = manager.loadNow(info, s);
    } catch (err) {
      next(err);
      return;
    }
    if (now !== undefined) {
      attach(req, res, s, manager);
      return;
    }
    // Returned, as an async middleware's promise would be: Express 5 sends what `next` throws to `next(err)`.
    return manager.load(info, s).then(() => attach(req, res, s, manager), next);
  };
}

function attach(req: Request, res: Response, s: ExpressSession, manager: SessionManager): void {
  const previous: unknown = Object.hasOwn(req, "session") ? req.session : undefined;
  if (previous instanceof ExpressSession) {
    // Another manager's session on this request: it still commits. Found
    // through the chain when it is held by the hooks; this one wraps `res`.
    s._displaced = previous;
    commitBeforeEnd(res, s);
  } else if (res.req === req && HOLD.hold(res, s)) {
    s._onPrototype = true;
  } else {
    commitBeforeEnd(res, s);
  }
  // The one property added per request (each one costs Express's unique hidden class a copy).
  req.session = s;
  if (!HOLD.sessionsAccessor(req)) req.sessions = manager;
  s._next();
}

/** The prototype hooks' lookup: the session held for `res` by the hooks, if any. */
function heldBy(res: ServerResponse): HeldResponse | undefined {
  const req = (res as { req?: { session?: unknown } }).req;
  let s = req?.session;
  while (s instanceof ExpressSession) {
    if (s._onPrototype && s._response() === res) return s;
    s = s._displaced;
  }
  return undefined;
}

const HOLD = prototypeHold(heldBy, (session) =>
  session instanceof ExpressSession ? session._manager() : undefined,
);

function requestInfo(req: Request): RequestInfo {
  return new ExpressRequestInfo(req);
}

/** The request's facts; the client's address only when asked (most requests never need it). */
class ExpressRequestInfo implements RequestInfo {
  readonly cookie: string | undefined;
  readonly encrypted: boolean;
  readonly forwardedProto: string | undefined;
  readonly userAgent: string | null;
  readonly #req: Request;

  constructor(req: Request) {
    const forwarded = req.headers["x-forwarded-proto"];
    this.#req = req;
    this.cookie = req.headers.cookie;
    // req.secure is true on a TLS socket, and behind a proxy Express's own
    // "trust proxy" setting trusts: Secure/__Host- follow the app's setting.
    this.encrypted =
      req.secure === true || (req.socket as { encrypted?: boolean }).encrypted === true;
    this.forwardedProto = Array.isArray(forwarded) ? forwarded[0] : forwarded;
    this.userAgent = req.headers["user-agent"] ?? null;
  }

  /** req.ip honours Express's own "trust proxy" setting for X-Forwarded-For. */
  get ip(): string | null {
    return this.#req.ip ?? this.#req.socket.remoteAddress ?? null;
  }
}

const RESPONSE_HEADERS: ResponseHeaders<ServerResponse> = {
  sent: (res) => res.headersSent,
  get: header,
  set: (res, name, value) => {
    res.setHeader(name, value);
  },
  getSetCookies: (res) => {
    const v = res.getHeader("set-cookie");
    return v === undefined ? [] : Array.isArray(v) ? [...v] : [String(v)];
  },
  setSetCookies: (res, values) => {
    res.setHeader("set-cookie", values);
  },
};

function header(res: ServerResponse, name: string): string | undefined {
  const v = res.getHeader(name);
  return v === undefined ? undefined : Array.isArray(v) ? v.join(", ") : String(v);
}
