/** Home, registration, login and logout. */
import type { User } from "../users/directory.js";
import { KNOWN_ROLES, normalizeUsername } from "../users/directory.js";
import type { DemoContext } from "./context.js";
import { type DemoRequest, type DemoResponse, json, noContent, redirect } from "./http.js";
import { page } from "./page.js";

/** The same words for an unknown user and a wrong password (OWASP ASVS 5.0 V6.3.8). */
export const LOGIN_FAILED = "Wrong username or password.";

/** A string field of a form or JSON body, or undefined. */
export function field(body: unknown, name: string): unknown {
  return typeof body === "object" && body !== null
    ? (body as Record<string, unknown>)[name]
    : undefined;
}

/** JSON clients (fetch, curl) get JSON; browsers posting forms get pages and redirects. */
export function wantsJson(req: DemoRequest): boolean {
  if (req.contentType === "application/json") return true;
  const accept = req.headers.accept ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
}

export async function home(req: DemoRequest, ctx: DemoContext, user: User | null) {
  const data = req.session.toJSON();
  const shown: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) shown[k] = JSON.stringify(v).slice(0, 200);
  return page(ctx, req, user, "home", "Home", {
    session: { createdAt: req.session.createdAt, expiresAt: req.session.expiresAt },
    dataKeys: Object.keys(shown),
    data: shown,
  });
}

export async function registerForm(req: DemoRequest, ctx: DemoContext, user: User | null) {
  return page(ctx, req, user, "register", "Register", ctx.auth.passwordPolicy, { form: true });
}

export async function register(
  req: DemoRequest,
  ctx: DemoContext,
  user: User | null,
): Promise<DemoResponse> {
  const typed = field(req.body, "username");
  const password = field(req.body, "password");
  const retry = (status: number, error: string) =>
    wantsJson(req)
      ? json(status, { error })
      : page(
          ctx,
          req,
          user,
          "register",
          "Register",
          { ...ctx.auth.passwordPolicy, username: typeof typed === "string" ? typed : "" },
          { status, error, form: true },
        );
  const username = normalizeUsername(typed);
  if (username === null) {
    return retry(400, "Usernames are 3–32 letters, digits, dots, dashes or underscores.");
  }
  const { minLength, maxLength } = ctx.auth.passwordPolicy;
  if (typeof password !== "string" || password.length < minLength || password.length > maxLength) {
    return retry(400, `Passwords are ${minLength} to ${maxLength} characters.`);
  }
  // A budget per address and a share of the hashing capacity: a flood of
  // registrations can neither starve everyone's logins nor mint accounts fast.
  const slot = await ctx.auth.reserveRegistration(req.ip);
  if (!slot.allowed) {
    const error = `Too many registrations from your address. Try again in ${slot.retryAfterSeconds} seconds.`;
    const headers = { "retry-after": String(slot.retryAfterSeconds) };
    if (wantsJson(req)) return json(429, { error }, headers);
    const res = await retry(429, error);
    return { ...res, headers: { ...res.headers, ...headers } };
  }
  let created: Awaited<ReturnType<typeof ctx.users.create>>;
  try {
    const passwordHash = await ctx.auth.hashPassword(password);
    created = await ctx.users.create({ username, passwordHash, roles: [KNOWN_ROLES[1]] });
  } finally {
    await slot.settle("success");
  }
  // A register form must say a name is taken; the per-address budget bounds how
  // fast anyone can enumerate names through it (docs/security.md).
  if (!created) return retry(409, "That username is taken.");
  // Signed in through the same login flow (new token, fresh CSRF secret): no second code path.
  const signedIn = await ctx.auth.login(req.session, username, password, {
    ip: req.ip,
    remember: false,
  });
  if (!signedIn.ok) return redirect("/login");
  return wantsJson(req)
    ? json(201, { username: created.username, roles: created.roles })
    : redirect("/?done=registered");
}

export async function loginForm(req: DemoRequest, ctx: DemoContext, user: User | null) {
  return page(ctx, req, user, "login", "Log in", {}, { form: true });
}

export async function login(
  req: DemoRequest,
  ctx: DemoContext,
  user: User | null,
): Promise<DemoResponse> {
  const typed = field(req.body, "username");
  const remember = ["1", "on", "true", true].includes(field(req.body, "remember") as string);
  const result = await ctx.auth.login(req.session, typed, field(req.body, "password"), {
    ip: req.ip,
    remember,
  });
  if (result.ok) {
    return wantsJson(req)
      ? json(200, { username: result.user.username, roles: result.user.roles })
      : redirect("/");
  }
  const [status, error, headers] =
    result.reason === "throttled"
      ? ([
          429,
          `Too many failed attempts. Try again in ${result.retryAfterSeconds} seconds.`,
          { "retry-after": String(result.retryAfterSeconds) },
        ] as const)
      : ([401, LOGIN_FAILED, {}] as const);
  if (wantsJson(req)) return json(status, { error }, headers);
  const username = typeof typed === "string" ? typed.slice(0, 64) : "";
  return page(
    ctx,
    req,
    user,
    "login",
    "Log in",
    { username },
    { status, error, headers, form: true },
  );
}

export async function logout(req: DemoRequest, ctx: DemoContext): Promise<DemoResponse> {
  await ctx.auth.logout(req.session);
  return wantsJson(req) ? noContent() : redirect("/login?done=logged-out");
}

export async function logoutAll(req: DemoRequest, ctx: DemoContext): Promise<DemoResponse> {
  await ctx.auth.logoutAll(req.session);
  return wantsJson(req) ? noContent() : redirect("/login?done=logged-out-all");
}
