/**
 * Every route of CONTRACT §3 (and the account page) in one table, and the
 * one function that runs a route: CSRF check for state-changing methods,
 * the access guard, the handler, and the mapping of failures to
 * 503/413/500. Each wiring mounts this table on its framework; none of
 * them has logic of its own.
 */
import { isCloakroomError, SessionTooLargeError, StoreUnavailableError } from "../lib.js";
import type { User } from "../users/directory.js";
import { home, login, loginForm, logout, logoutAll, register, registerForm } from "./account.js";
import { activityPage, metricsText } from "./activity.js";
import { adminPage, changeRole, forceLogout } from "./admin.js";
import { csrf, deleteKey, me, putKey, sessionData } from "./api.js";
import type { DemoContext } from "./context.js";
import { revokeOne, revokeOthers, sessionsJson, sessionsPage } from "./devices.js";
import { asset, type DemoRequest, type DemoResponse, isApi, json, redirect } from "./http.js";
import { errorPage } from "./page.js";
import {
  passkeysScript,
  registerOptions,
  registerPasskey,
  removePasskey,
  renamePasskey,
  signInOptions,
  signInPasskey,
  stepUpOptions,
  stepUpPasskey,
} from "./passkeys.js";
import { STYLESHEET } from "./render.js";
import { accountPage, changePassword, confirmPassword } from "./settings.js";

export type Method = "GET" | "POST" | "PUT" | "DELETE";
/** `public`: anyone; `user`: signed in; `admin`: signed in with the admin role. */
export type Access = "public" | "user" | "admin";
type Handler = (req: DemoRequest, ctx: DemoContext, user: User | null) => Promise<DemoResponse>;

export interface Route {
  method: Method;
  /** `:name` segments, the syntax Express, Fastify and Hono share. */
  path: string;
  access: Access;
  handler: Handler;
}

const r = (method: Method, path: string, access: Access, handler: Handler): Route => ({
  method,
  path,
  access,
  handler,
});

export const ROUTES: readonly Route[] = [
  r("GET", "/", "public", home),
  r("GET", "/style.css", "public", async () => asset(STYLESHEET, "text/css; charset=utf-8")),
  r("GET", "/register", "public", registerForm),
  r("POST", "/register", "public", register),
  r("GET", "/login", "public", loginForm),
  r("POST", "/login", "public", login),
  r("POST", "/logout", "public", logout),
  r("POST", "/logout-all", "user", logoutAll),
  r("GET", "/sessions", "user", sessionsPage),
  r("POST", "/sessions/revoke-others", "user", revokeOthers),
  r("POST", "/sessions/:id/revoke", "user", revokeOne),
  // Not in CONTRACT §3: the only routes that ask for the password again (sudo mode).
  r("GET", "/account", "user", accountPage),
  r("POST", "/account/confirm", "user", confirmPassword),
  r("POST", "/account/password", "user", changePassword),
  // Passkeys (not in CONTRACT §3): JSON ceremonies for /passkeys.js, forms for the rest.
  r("GET", "/passkeys.js", "public", passkeysScript),
  r("POST", "/passkeys/register/options", "public", registerOptions),
  r("POST", "/passkeys/register", "public", registerPasskey),
  r("POST", "/passkeys/sign-in/options", "public", signInOptions),
  r("POST", "/passkeys/sign-in", "public", signInPasskey),
  r("POST", "/passkeys/step-up/options", "user", stepUpOptions),
  r("POST", "/passkeys/step-up", "user", stepUpPasskey),
  r("POST", "/account/passkeys/:id/rename", "user", renamePasskey),
  r("POST", "/account/passkeys/:id/remove", "user", removePasskey),
  r("GET", "/admin", "admin", adminPage),
  r("GET", "/admin/activity", "admin", activityPage),
  r("GET", "/metrics", "admin", metricsText),
  r("POST", "/admin/users/:username/revoke", "admin", forceLogout),
  r("POST", "/admin/users/:username/roles", "admin", changeRole),
  r("GET", "/api/me", "user", me),
  r("GET", "/api/csrf", "public", csrf),
  r("GET", "/api/sessions", "user", sessionsJson),
  r("GET", "/api/session", "public", sessionData),
  r("PUT", "/api/session/:key", "public", putKey),
  r("DELETE", "/api/session/:key", "public", deleteKey),
];

const UNSAFE = new Set(["POST", "PUT", "DELETE", "PATCH"]);

/** The CSRF token a request carries: form field `_csrf`, else header `x-csrf-token`. */
function csrfTokenOf(req: DemoRequest): unknown {
  const body = req.body;
  const fromForm =
    typeof body === "object" && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)._csrf
      : undefined;
  return fromForm ?? req.headers["x-csrf-token"];
}

/** Runs one route for one request. Never throws: every failure becomes a response. */
export async function runRoute(
  route: Route,
  req: DemoRequest,
  ctx: DemoContext,
): Promise<DemoResponse> {
  try {
    if (
      UNSAFE.has(req.method) &&
      !ctx.auth.csrfValid(req.session, csrfTokenOf(req), { method: req.method, path: req.path })
    ) {
      return refuse(
        ctx,
        req,
        403,
        "Forbidden",
        "This form has expired or did not come from this site. Go back, reload the page and try again.",
      );
    }
    const user = await ctx.auth.currentUser(req.session);
    if (route.access !== "public") {
      if (user === null) {
        return isApi(req.path) ? json(401, { error: "not signed in" }) : redirect("/login");
      }
      // Through the library's guard, so the refusal is audited (access.denied).
      if (route.access === "admin" && !(await ctx.auth.hasRole(req.session, "admin"))) {
        return refuse(
          ctx,
          req,
          403,
          "Forbidden",
          "Your account does not have access to this page.",
        );
      }
    }
    return await route.handler(req, ctx, user);
  } catch (err) {
    return failure(ctx, req, err);
  }
}

function refuse(
  ctx: DemoContext,
  req: DemoRequest,
  status: number,
  heading: string,
  message: string,
) {
  return isApi(req.path)
    ? json(status, { error: message })
    : errorPage(ctx, status, heading, message);
}

/**
 * A failure as a response: the store down → 503 (CONTRACT §2, fail closed),
 * a session over its limit → 413, anything else → 500 with the detail in
 * the log only. Used by the wirings too, for errors their adapters raise
 * before or after the route (loading or committing the session).
 */
export function failure(
  ctx: DemoContext | null,
  req: Pick<DemoRequest, "path">,
  err: unknown,
): DemoResponse {
  const api = isApi(req.path);
  if (err instanceof StoreUnavailableError || (isCloakroomError(err) && err.status === 503)) {
    console.error(`demo: ${req.path}: ${err.message}`);
    const message = "The session store is unavailable. Please try again in a moment.";
    return api
      ? json(503, { error: message }, { "retry-after": "5" })
      : withRetry(errorPage(ctx, 503, "Service unavailable", message));
  }
  const clientStatus = clientErrorStatus(err);
  if (clientStatus !== null) {
    // The client's fault (a bad %-escape in the path, an unreadable body): its
    // own 4xx, and nothing in the log — a stack per bad request would let
    // anyone fill the log, and there is nothing for an operator to fix.
    const message = "The request could not be understood.";
    return api
      ? json(clientStatus, { error: message })
      : errorPage(ctx, clientStatus, "Bad request", message);
  }
  if (err instanceof SessionTooLargeError) {
    return api
      ? json(413, { error: err.message })
      : errorPage(ctx, 413, "Too large", "That would make your session too large.");
  }
  console.error(`demo: ${req.path}: unexpected error`, err);
  return api
    ? json(500, { error: "internal error" })
    : errorPage(ctx, 500, "Something went wrong", "The error was logged.");
}

/**
 * The 4xx an error carries (`status` as Express and http-errors set it,
 * `statusCode` as Fastify does), or null. A URIError from decoding a
 * malformed `%`-escape in a route parameter is a 400 whatever the framework.
 */
function clientErrorStatus(err: unknown): number | null {
  if (err instanceof URIError) return 400;
  if (typeof err !== "object" || err === null || err instanceof SessionTooLargeError) return null;
  const { status, statusCode } = err as { status?: unknown; statusCode?: unknown };
  const s = typeof status === "number" ? status : statusCode;
  return typeof s === "number" && Number.isInteger(s) && s >= 400 && s < 500 ? s : null;
}

function withRetry(res: DemoResponse): DemoResponse {
  return { ...res, headers: { ...res.headers, "retry-after": "5" } };
}

/** The answer for a path no route matches. */
export function notFound(ctx: DemoContext | null, req: Pick<DemoRequest, "path">): DemoResponse {
  return isApi(req.path)
    ? json(404, { error: "not found" })
    : errorPage(ctx, 404, "Not found", "There is no page here.");
}
