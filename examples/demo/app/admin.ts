/** The admin page: users, their session counts, forced logout and role changes. */
import type { User } from "../users/directory.js";
import { cleanRoles, KNOWN_ROLES, normalizeUsername } from "../users/directory.js";
import { field, wantsJson } from "./account.js";
import type { DemoContext } from "./context.js";
import { type DemoRequest, type DemoResponse, json, noContent, redirect } from "./http.js";
import { errorPage, page } from "./page.js";

export async function adminPage(req: DemoRequest, ctx: DemoContext, user: User | null) {
  const users = await ctx.users.list();
  // One listByUser per user: fine for a demo; an app with many users would page this.
  const rows = await Promise.all(
    users.map(async (u) => ({
      username: u.username,
      roles: u.roles,
      createdAt: u.createdAt,
      sessionCount: (await ctx.sessions.listUserSessions(u.id)).length,
    })),
  );
  return page(ctx, req, user, "admin", "Admin", { users: rows, roles: KNOWN_ROLES });
}

async function target(req: DemoRequest, ctx: DemoContext): Promise<User | DemoResponse> {
  const name = normalizeUsername(req.params.username);
  const found = name === null ? null : await ctx.users.findByUsername(name);
  if (found) return found;
  return wantsJson(req)
    ? json(404, { error: "no such user" })
    : errorPage(ctx, 404, "No such user", "There is no user by that name.");
}

export async function forceLogout(req: DemoRequest, ctx: DemoContext): Promise<DemoResponse> {
  const found = await target(req, ctx);
  if (!("id" in found)) return found;
  const count = await ctx.auth.revokeUser(found.id, req.session);
  if (found.id === req.session.userId) req.session.destroy();
  return wantsJson(req) ? json(200, { revoked: count }) : redirect("/admin?done=user-revoked");
}

export async function changeRole(
  req: DemoRequest,
  ctx: DemoContext,
  admin: User | null,
): Promise<DemoResponse> {
  const found = await target(req, ctx);
  if (!("id" in found)) return found;
  const role = field(req.body, "role");
  const action = field(req.body, "action");
  if (
    typeof role !== "string" ||
    !(KNOWN_ROLES as readonly string[]).includes(role) ||
    (action !== "add" && action !== "remove")
  ) {
    return wantsJson(req)
      ? json(400, { error: "role must be a known role and action add or remove" })
      : errorPage(ctx, 400, "Bad request", "Unknown role or action.");
  }
  // An admin cannot lock every admin out by removing their own role.
  if (role === "admin" && action === "remove" && found.id === admin?.id) {
    return wantsJson(req)
      ? json(409, { error: "you cannot remove your own admin role" })
      : errorPage(ctx, 409, "Not allowed", "You cannot remove your own admin role.");
  }
  const roles = cleanRoles(
    action === "add" ? [...found.roles, role] : found.roles.filter((r) => r !== role),
  );
  await ctx.users.setRoles(found.username, roles);
  ctx.auth.rolesChanged(req.session, found.id, roles);
  return wantsJson(req) ? noContent() : redirect("/admin?done=roles-changed");
}
