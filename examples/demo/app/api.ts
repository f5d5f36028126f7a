/** The JSON side: who am I, the CSRF token, and this session's own data. */
import { SessionDataError, SessionTooLargeError } from "../lib.js";
import type { User } from "../users/directory.js";
import type { DemoContext } from "./context.js";
import { type DemoRequest, type DemoResponse, json, noContent } from "./http.js";

export async function me(_req: DemoRequest, _ctx: DemoContext, user: User | null) {
  // The router's guard answered 401 already when there is no user.
  return json(200, { username: user!.username, roles: user!.roles });
}

export async function csrf(req: DemoRequest, ctx: DemoContext) {
  return json(200, { token: ctx.auth.csrfToken(req.session) });
}

export async function sessionData(req: DemoRequest) {
  return json(200, { data: req.session.toJSON() });
}

/**
 * `PUT /api/session/:key`: the JSON body is the value. Only
 * `application/json` is accepted: a form or text/plain body could be sent
 * cross-site without a preflight (OWASP ASVS 5.0 V3.5.2).
 */
export async function putKey(req: DemoRequest): Promise<DemoResponse> {
  if (req.contentType !== "application/json") {
    return json(415, { error: "send the value as application/json" });
  }
  if (req.body === undefined) return json(400, { error: "the body must be a JSON value" });
  try {
    req.session.set(req.params.key ?? "", req.body as never);
  } catch (err) {
    if (err instanceof SessionTooLargeError) {
      return json(413, { error: `the session would be over its ${err.limit}-byte limit` });
    }
    // A reserved key (`$…`, `__proto__`) or a value JSON cannot hold.
    if (err instanceof SessionDataError) return json(400, { error: err.message });
    throw err;
  }
  return noContent();
}

export async function deleteKey(req: DemoRequest): Promise<DemoResponse> {
  req.session.delete(req.params.key ?? "");
  return noContent();
}
