/**
 * The account page: who you are, and a password change behind sudo mode.
 *
 * Sudo mode (cloakroom-sessions/auth `requireRecentAuth` / `reauthenticate`): the
 * page's sensitive form opens only within `DEMO_SUDO_MAX_AGE` (10 min) of
 * a password check — the login itself, or the "confirm your password" form
 * shown once that window has passed (the GitHub pattern). The change itself
 * also asks for the current password (ASVS 5.0 V6.2.3), checked by
 * `changePassword`, which ends every other session and rotates this one
 * (ASVS 5.0 V7.4.3). None of the CONTRACT §3 routes asks for a password:
 * external tests call those with a CSRF token only.
 */
import type { User } from "../users/directory.js";
import { field, wantsJson } from "./account.js";
import { describeEvents } from "./audit.js";
import type { DemoContext, RecheckOutcome } from "./context.js";
import { type DemoRequest, type DemoResponse, json, noContent, redirect } from "./http.js";
import { page } from "./page.js";

type Failure = Exclude<RecheckOutcome, { ok: true }>;

/** Status, message and headers for a refused password check. */
function refusal(r: Failure, wrong: string): [number, string, Record<string, string>] {
  switch (r.reason) {
    case "throttled":
      return [
        429,
        `Too many failed attempts. Try again in ${r.retryAfterSeconds} seconds.`,
        { "retry-after": String(r.retryAfterSeconds) },
      ];
    case "policy":
      return [400, r.message, {}];
    case "unauthenticated":
      return [401, "You are not signed in.", {}];
    default:
      return [401, wrong, {}];
  }
}

async function render(
  req: DemoRequest,
  ctx: DemoContext,
  user: User,
  options: { status?: number; error?: string; headers?: Record<string, string> } = {},
): Promise<DemoResponse> {
  const [recent, sessions, events, passkeys, passkeyConfirmed] = await Promise.all([
    ctx.auth.recentlyAuthenticated(req.session),
    ctx.sessions.listUserSessions(user.id),
    describeEvents(ctx.audit.recent(user.id, 10)),
    ctx.auth.passkeys ? ctx.auth.passkeys.list(req.session) : Promise.resolve([]),
    ctx.auth.passkeyConfirmed(req.session),
  ]);
  return page(
    ctx,
    req,
    user,
    "account",
    "Your account",
    {
      recent,
      createdAt: user.createdAt,
      sessionCount: sessions.length,
      events,
      sudoMinutes: Math.max(1, Math.round(ctx.config.sudoMaxAge / 60_000)),
      passkeysEnabled: ctx.auth.passkeys !== null,
      passkeys,
      passkeyConfirmed,
      hasPassword: user.passwordHash !== "",
      // After adding or removing a passkey, offer to sign the other devices out (ASVS 5.0 V7.4.3).
      offerSignOut: ["passkey-added", "passkey-removed"].includes(req.query.done ?? ""),
      ...ctx.auth.passwordPolicy,
    },
    { status: options.status, error: options.error, headers: options.headers },
  );
}

/** `GET /account`. The route's guard has already answered when nobody is signed in. */
export async function accountPage(req: DemoRequest, ctx: DemoContext, user: User | null) {
  return render(req, ctx, user!);
}

/** `POST /account/confirm` (`password`): sudo mode, a fresh password check and a new token. */
export async function confirmPassword(
  req: DemoRequest,
  ctx: DemoContext,
  user: User | null,
): Promise<DemoResponse> {
  const r = await ctx.auth.reauthenticate(req.session, field(req.body, "password"));
  if (r.ok) return wantsJson(req) ? noContent() : redirect("/account?done=confirmed");
  const [status, error, headers] = refusal(r, "That password is not right.");
  if (wantsJson(req)) return json(status, { error }, headers);
  return render(req, ctx, user!, { status, error, headers });
}

/**
 * `POST /account/password` (`current`, `password`). Refused with 401
 * `reauth` outside the sudo window, so the change cannot be posted from a
 * session whose owner last proved the password hours ago, current password
 * or not (a left-open laptop, a stolen cookie plus a guessed password).
 */
export async function changePassword(
  req: DemoRequest,
  ctx: DemoContext,
  user: User | null,
): Promise<DemoResponse> {
  if (!(await ctx.auth.recentlyAuthenticated(req.session))) {
    const error = "For your security, confirm your password first.";
    if (wantsJson(req)) return json(401, { error, reason: "reauth" });
    return render(req, ctx, user!, { status: 401, error });
  }
  const r = await ctx.auth.changePassword(
    req.session,
    field(req.body, "current"),
    field(req.body, "password"),
  );
  if (r.ok) return wantsJson(req) ? noContent() : redirect("/account?done=password-changed");
  const [status, error, headers] = refusal(r, "Your current password is not right.");
  if (wantsJson(req)) return json(status, { error }, headers);
  return render(req, ctx, user!, { status, error, headers });
}
