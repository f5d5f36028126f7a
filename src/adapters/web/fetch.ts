/**
 * Sessions for any fetch-style handler (`(request: Request) => Response`):
 * load from a `Request`, commit onto a `Response`. Only web-standard APIs
 * here — no `node:` imports, no `Buffer` — so it runs wherever `Request`,
 * `Response` and `crypto.subtle` exist, with a store that runs there too.
 */
import type { CloakroomError } from "../../core/errors.js";
import type { SessionManager } from "../../core/manager.js";
import type { RequestInfo, Session } from "../../core/session.js";
import { applyOutcome, mergeVary, type ResponseHeaders, UNSENT } from "../common/outcome.js";
import { RequestSession } from "../common/request-session.js";

/** What the runtime knows about the connection that `Request` does not carry. */
export interface ConnectionInfo {
  /** The client address, for the device list. `Request` has none. @default null */
  ip?: string | null;
  /**
   * Whether the connection itself is TLS.
   * @default the scheme of `request.url` (what the server saw)
   */
  encrypted?: boolean;
}

interface Pending {
  headers: Headers;
  applied: string | null;
}

/** Headers the commits of a plain `Session` (not from {@link loadSession}) produced, waiting for their response. */
const pending = new WeakMap<Session, Pending>();

/** The {@link RequestInfo} of a fetch `Request`. */
export function requestInfo(request: Request, conn: ConnectionInfo = {}): RequestInfo {
  const h = request.headers;
  return {
    cookie: h.get("cookie"),
    encrypted: conn.encrypted ?? request.url.startsWith("https:"),
    forwardedProto: h.get("x-forwarded-proto"),
    ip: conn.ip ?? null,
    userAgent: h.get("user-agent"),
  };
}

/**
 * The request's session. Rejects with `StoreUnavailableError` when the store
 * cannot answer (answer with {@link errorResponse}).
 * @example
 * const session = await loadSession(sessions, request);
 * session.set("seen", true);
 * return commitSession(sessions, session, Response.json({ ok: true }));
 */
export async function loadSession(
  manager: SessionManager,
  request: Request,
  conn?: ConnectionInfo,
): Promise<RequestSession> {
  // save() mid-handler puts its headers in this Headers; commitSession moves them onto the response.
  const session = new RequestSession<Headers>(manager, HEADERS, new Headers());
  return manager.load(requestInfo(request, conn), session);
}

/**
 * Commits the session and returns the response with `Set-Cookie` appended,
 * `Vary: Cookie` merged and `Cache-Control` set as needed. The same response
 * when its headers can be changed, otherwise a copy (a `fetch()` result or
 * `Response.redirect()` has immutable headers). Rejects like `loadSession`,
 * or with `SessionTooLargeError`; nothing is applied then.
 */
export async function commitSession(
  manager: SessionManager,
  session: Session,
  response: Response,
): Promise<Response> {
  if (session instanceof RequestSession) {
    const own: unknown = session._response();
    if (own instanceof Headers) {
      if (!session._settle()) await session.save();
      return applyHeaders(response, own);
    }
  }
  let p = pending.get(session);
  if (!p) {
    p = { headers: new Headers(), applied: null };
    pending.set(session, p);
  }
  const applied = applyOutcome(HEADERS, p.headers, await manager.commit(session), p.applied);
  if (applied !== UNSENT) p.applied = applied;
  return applyHeaders(response, p.headers);
}

/** Copies session headers onto a response: cookies appended, Vary merged, others set. */
export function applyHeaders(response: Response, from: Headers): Response {
  const cookies = from.getSetCookie();
  if (cookies.length === 0 && !from.has("vary") && !from.has("cache-control")) return response;
  try {
    write(response.headers, from, cookies);
    return response;
  } catch (err) {
    // Immutable headers throw a TypeError (Fetch standard, "immutable" guard): copy the response.
    if (!(err instanceof TypeError)) throw err;
    const copy = new Response(response.body, response);
    write(copy.headers, from, cookies);
    return copy;
  }
}

function write(to: Headers, from: Headers, cookies: string[]): void {
  for (const c of cookies) to.append("set-cookie", c);
  if (from.has("vary")) to.set("vary", mergeVary(to.get("vary")));
  const cc = from.get("cache-control");
  if (cc !== null) to.set("cache-control", cc);
}

/**
 * The response for a Cloakroom error: its status (503 store unavailable,
 * 413 session too large, else 500) and a JSON body with its stable `code` —
 * never the message, which may name the backend.
 */
export function errorResponse(err: CloakroomError): Response {
  return new Response(JSON.stringify({ error: err.code }), {
    status: err.status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

/** {@link ResponseHeaders} over a `Headers` object, which never "leaves". */
const HEADERS: ResponseHeaders<Headers> = {
  sent: () => false,
  get: (headers, name) => headers.get(name) ?? undefined,
  set: (headers, name, value) => headers.set(name, value),
  getSetCookies: (headers) => headers.getSetCookie(),
  setSetCookies: (headers, values) => {
    headers.delete("set-cookie");
    for (const v of values) headers.append("set-cookie", v);
  },
};
