/** What the three wirings share: turning a route's outcome into one response, with the session saved first. */
import type { DemoContext } from "../app/context.js";
import type { DemoRequest, DemoResponse } from "../app/http.js";
import { failure, type Route, runRoute } from "../app/routes.js";

/** The session as the adapters hand it out: the core Session plus `save()`. */
export interface SavableSession {
  save(): Promise<void>;
}

/**
 * Runs the route, then commits the session explicitly so a store failure
 * during the commit still becomes this request's 503 (and a refused write
 * its 413) rather than a response already on its way.
 */
export async function serve(
  route: Route,
  req: DemoRequest & { session: SavableSession },
  ctx: DemoContext,
): Promise<DemoResponse> {
  const res = await runRoute(route, req, ctx);
  try {
    await req.session.save();
  } catch (err) {
    return failure(ctx, req, err);
  }
  return res;
}

/** The media type of a `Content-Type` header: lower-case, parameters dropped. */
export function mediaType(header: string | undefined | null): string | null {
  if (!header) return null;
  return header.split(";")[0]!.trim().toLowerCase() || null;
}

/** Header values as the neutral request wants them: lower-case names, one string each. */
export function flatHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers))
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

/** First value of each query parameter. */
export function firstValues(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of params) if (!(k in out)) out[k] = v;
  return out;
}
