/** The signed-in user's sessions: the device page, its API twin, and revocation. */
import type { User } from "../users/directory.js";
import { wantsJson } from "./account.js";
import type { DemoContext } from "./context.js";
import { type DemoRequest, type DemoResponse, json, noContent, redirect } from "./http.js";
import { errorPage, page } from "./page.js";

export async function sessionsPage(req: DemoRequest, ctx: DemoContext, user: User | null) {
  const sessions = await ctx.auth.devices(req.session);
  return page(ctx, req, user, "sessions", "Your sessions", { sessions });
}

/**
 * `GET /api/sessions`. Times are ISO 8601 strings (UTC), the same form as
 * `createdAt` everywhere in the demo's JSON; docs/demo.md says so.
 */
export async function sessionsJson(req: DemoRequest, ctx: DemoContext) {
  const sessions = (await ctx.auth.devices(req.session)).map((s) => ({
    id: s.id,
    current: s.current,
    device: s.device,
    ip: s.ip,
    createdAt: new Date(s.createdAt).toISOString(),
    lastSeenAt: new Date(s.lastSeenAt).toISOString(),
  }));
  return json(200, { sessions });
}

export async function revokeOne(req: DemoRequest, ctx: DemoContext): Promise<DemoResponse> {
  const id = req.params.id ?? "";
  const current = req.session.id === id;
  if (!(await ctx.auth.revokeOne(req.session, id))) {
    // Someone else's handle looks exactly like a stale one of ours: 404 either way.
    return wantsJson(req)
      ? json(404, { error: "no such session" })
      : errorPage(ctx, 404, "No such session", "That session has already ended or is not yours.");
  }
  if (current) req.session.destroy();
  if (wantsJson(req)) return noContent();
  return redirect(current ? "/login?done=logged-out" : "/sessions?done=revoked");
}

export async function revokeOthers(req: DemoRequest, ctx: DemoContext): Promise<DemoResponse> {
  await ctx.auth.revokeOthers(req.session);
  return wantsJson(req) ? noContent() : redirect("/sessions?done=revoked-others");
}
