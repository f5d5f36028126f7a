/**
 * Passkeys in the demo, all of it `cloakroom-sessions/auth` `createPasskeys`:
 * the ceremony endpoints the page script (`/passkeys.js`) calls with JSON,
 * and the account-page forms (rename, remove) that work without JavaScript.
 * Only the ceremonies themselves need JavaScript: `navigator.credentials`
 * has no HTML form.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { PasskeyFailure } from "../lib.js";
import { KNOWN_ROLES, normalizeUsername, type User } from "../users/directory.js";
import { field } from "./account.js";
import type { DemoContext } from "./context.js";
import { asset, type DemoRequest, type DemoResponse, json, redirect } from "./http.js";

export const PASSKEYS_SCRIPT = readFileSync(
  fileURLToPath(new URL("../views/passkeys.js", import.meta.url)),
  "utf8",
);

export const passkeysScript = async () => asset(PASSKEYS_SCRIPT, "text/javascript; charset=utf-8");

const UNAVAILABLE = json(404, { error: "passkeys are not configured (PASSKEY_ORIGINS)" });

const refused = (f: PasskeyFailure) => json(f.status, { error: f.message, reason: f.reason });

/**
 * The origin this request reached: behind a trusted proxy (TRUST_PROXY) from
 * the first X-Forwarded-Proto / X-Forwarded-Host hop, else plain http and
 * Host (the demo listens on http). The assertion must have been made there.
 */
function requestOrigin(req: DemoRequest, ctx: DemoContext): string | null {
  const first = (v: string | undefined) => v?.split(",")[0]?.trim() || undefined;
  const proto = ctx.config.trustProxy
    ? (first(req.headers["x-forwarded-proto"]) ?? "http")
    : "http";
  const host = ctx.config.trustProxy
    ? (first(req.headers["x-forwarded-host"]) ?? req.headers.host)
    : req.headers.host;
  return host ? `${proto}://${host}` : null;
}

/** `POST /passkeys/register/options`: add a passkey (signed in), or `{ username }` for a passkey-only account. */
export async function registerOptions(req: DemoRequest, ctx: DemoContext, user: User | null) {
  const pk = ctx.auth.passkeys;
  if (!pk) return UNAVAILABLE;
  if (user) {
    const r = await pk.registrationOptions(req.session);
    return r.ok ? json(200, { options: r.options }) : refused(r);
  }
  const username = normalizeUsername(field(req.body, "username"));
  if (username === null) {
    return json(400, { error: "Usernames are 3–32 letters, digits, dots, dashes or underscores." });
  }
  if (await ctx.users.findByUsername(username))
    return json(409, { error: "That username is taken." });
  const r = await pk.registrationOptions(req.session, {
    newAccount: { id: randomUUID(), username },
  });
  return r.ok ? json(200, { options: r.options }) : refused(r);
}

class UsernameTaken extends Error {}

/** `POST /passkeys/register` (`{ response, name? }`). */
export async function registerPasskey(req: DemoRequest, ctx: DemoContext) {
  const pk = ctx.auth.passkeys;
  if (!pk) return UNAVAILABLE;
  const name = field(req.body, "name");
  try {
    const r = await pk.verifyRegistration(req.session, {
      response: field(req.body, "response"),
      requestOrigin: requestOrigin(req, ctx),
      ip: req.ip,
      ...(typeof name === "string" ? { name } : {}),
      createAccount: async (a) => {
        const created = await ctx.users.create({
          id: a.id,
          username: a.username,
          passwordHash: "",
          roles: [KNOWN_ROLES[1]],
        });
        if (!created) throw new UsernameTaken();
      },
    });
    if (!r.ok) return refused(r);
    return json(201, { signedIn: r.signedIn, passkey: r.passkey });
  } catch (err) {
    if (err instanceof UsernameTaken) return json(409, { error: "That username is taken." });
    throw err;
  }
}

/** `POST /passkeys/sign-in/options`: for the button and for autofill (conditional UI). */
export async function signInOptions(req: DemoRequest, ctx: DemoContext) {
  const pk = ctx.auth.passkeys;
  if (!pk) return UNAVAILABLE;
  return json(200, { options: await pk.signInOptions(req.session) });
}

/** `POST /passkeys/sign-in` (`{ response }`): a new session token, as a password login. */
export async function signInPasskey(req: DemoRequest, ctx: DemoContext) {
  const pk = ctx.auth.passkeys;
  if (!pk) return UNAVAILABLE;
  const r = await pk.signIn(req.session, {
    response: field(req.body, "response"),
    requestOrigin: requestOrigin(req, ctx),
    ip: req.ip,
  });
  return r.ok ? json(200, { username: r.user.username, roles: r.user.roles }) : refused(r);
}

/** `POST /passkeys/step-up/options`. */
export async function stepUpOptions(req: DemoRequest, ctx: DemoContext) {
  const pk = ctx.auth.passkeys;
  if (!pk) return UNAVAILABLE;
  const r = await pk.stepUpOptions(req.session);
  return r.ok ? json(200, { options: r.options }) : refused(r);
}

/** `POST /passkeys/step-up` (`{ response }`): sudo mode, same session token. */
export async function stepUpPasskey(req: DemoRequest, ctx: DemoContext) {
  const pk = ctx.auth.passkeys;
  if (!pk) return UNAVAILABLE;
  const r = await pk.stepUp(req.session, {
    response: field(req.body, "response"),
    requestOrigin: requestOrigin(req, ctx),
    ip: req.ip,
  });
  return r.ok ? json(200, { confirmed: true }) : refused(r);
}

/** `POST /account/passkeys/:id/rename` (form field `name`). */
export async function renamePasskey(req: DemoRequest, ctx: DemoContext): Promise<DemoResponse> {
  const pk = ctx.auth.passkeys;
  if (!pk) return UNAVAILABLE;
  const r = await pk.rename(req.session, req.params.id, field(req.body, "name"));
  return r.ok ? redirect("/account?done=passkey-renamed") : redirect(`/account?done=${failed(r)}`);
}

/** `POST /account/passkeys/:id/remove`: sudo mode, never the last way in. */
export async function removePasskey(req: DemoRequest, ctx: DemoContext): Promise<DemoResponse> {
  const pk = ctx.auth.passkeys;
  if (!pk) return UNAVAILABLE;
  const r = await pk.remove(req.session, req.params.id);
  return r.ok ? redirect("/account?done=passkey-removed") : redirect(`/account?done=${failed(r)}`);
}

/** A notice key for the account page (page.ts NOTICES): fixed words, nothing echoed. */
function failed(r: PasskeyFailure): string {
  return r.reason === "last-method"
    ? "passkey-last"
    : r.reason === "reauth"
      ? "passkey-reauth"
      : "passkey-failed";
}
