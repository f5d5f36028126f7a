/**
 * Sessions for any fetch-style handler (`(request: Request) => Response`):
 * load from a `Request`, commit onto a `Response`. Only web-standard APIs
 * here — no `node:` imports, no `Buffer` — so it runs wherever `Request`,
 * `Response` and `crypto.subtle` exist, with a store that runs there too.
 */
import type { CloakroomError } from "../../core/errors.js";
import type { SessionManager } from "../../core/manager.js";
import type { RequestInfo, Session } from "../../core/session.js";
import { type HeaderTarget, mergeVary, OutcomeWriter } from "../common/outcome.js";
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
  writer: OutcomeWriter;
}

/** Headers a session's commits produced, waiting for the response they belong to. */
const pending = new WeakMap<Session, Pending>();

function pendingOf(session: Session): Pending {
  let p = pending.get(session);
  if (!p) {
    const headers = new Headers();
    p = { headers, writer: new OutcomeWriter(headersTarget(headers, () => false)) };
    pending.set(session, p);
  }
  return p;
}

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
  const loaded = await manager.load(requestInfo(request, conn));
  const headers = new Headers();
  const writer = new OutcomeWriter(headersTarget(headers, () => false));
  // save() mid-handler puts its headers here; commitSession moves them onto the response.
  const session = new RequestSession(loaded, manager, writer, () => {});
  pending.set(session, { headers, writer });
  return session;
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
  const p = pendingOf(session);
  p.writer.apply(await manager.commit(session));
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

/** A {@link HeaderTarget} over a `Headers` object. */
export function headersTarget(headers: Headers, sent: () => boolean): HeaderTarget {
  return {
    sent,
    get: (name) => headers.get(name) ?? undefined,
    set: (name, value) => headers.set(name, value),
    getSetCookies: () => headers.getSetCookie(),
    setSetCookies: (values) => {
      headers.delete("set-cookie");
      for (const v of values) headers.append("set-cookie", v);
    },
  };
}
