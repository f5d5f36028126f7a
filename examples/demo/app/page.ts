/** Rendering a page: the layout's shared data (who is signed in, the CSRF token) in one place. */
import type { User } from "../users/directory.js";
import type { DemoContext } from "./context.js";
import { type DemoRequest, type DemoResponse, html } from "./http.js";
import { renderPage } from "./render.js";

/**
 * Outcome messages shown after a redirect, chosen by a fixed key in the
 * query string (`?done=revoked`): no session write, and nothing the URL
 * carries is ever echoed.
 */
const NOTICES: Record<string, string> = {
  registered: "Welcome! Your account is ready and you are signed in.",
  "logged-in": "You are signed in.",
  "logged-out": "You are signed out.",
  "logged-out-all": "Every session of your account has ended, this one included.",
  revoked: "That session has ended.",
  "revoked-others": "Every other session has ended. This one is still signed in.",
  "user-revoked": "All sessions of that user have ended.",
  "roles-changed": "Roles updated. They apply at the user's next request.",
  confirmed: "Password confirmed.",
  "password-changed": "Password changed. Every other device has been signed out.",
  "passkey-added": "Passkey added.",
  "passkey-renamed": "Passkey renamed.",
  "passkey-removed": "Passkey removed.",
  "passkey-confirmed": "Confirmed with your passkey.",
  "passkey-last": "That passkey is the last way into this account: add another way first.",
  "passkey-reauth": "Confirm it is you first (password or passkey), then remove the passkey.",
  "passkey-failed": "That did not work. Reload the page and try again.",
};

export interface PageOptions {
  status?: number;
  /** The page has a form of its own (login, register): it needs a CSRF token even when signed out. */
  form?: boolean;
  error?: string | null;
  headers?: Record<string, string>;
}

export function page(
  ctx: DemoContext,
  req: DemoRequest,
  user: User | null,
  view: string,
  title: string,
  data: object = {},
  options: PageOptions = {},
): DemoResponse {
  const done = req.query.done;
  const body = renderPage(
    view,
    {
      title,
      user: user ? { username: user.username, roles: user.roles } : null,
      // Asking for the token writes it into the session, so only pages with a form ask:
      // a visitor who only reads gets no session and no cookie (CONTRACT §2, lazy creation).
      // Login forms do ask, so a login POST is CSRF-checked too (OWASP CSRF CS, login CSRF).
      csrf: user !== null || options.form === true ? ctx.auth.csrfToken(req.session) : "",
      notice: done !== undefined ? (NOTICES[done] ?? null) : null,
      error: options.error ?? null,
      storeKind: ctx.sessions.store.kind,
      framework: ctx.config.framework,
    },
    { passkeysEnabled: ctx.auth.passkeys !== null, ...data },
  );
  return html(options.status ?? 200, body, options.headers);
}

/** A short error page; `back` is a fixed path chosen by the caller. */
export function errorPage(
  ctx: DemoContext | null,
  status: number,
  heading: string,
  message: string,
): DemoResponse {
  const body = renderPage(
    "error",
    {
      title: heading,
      user: null,
      csrf: "",
      storeKind: ctx?.sessions.store.kind ?? "",
      framework: ctx?.config.framework ?? "",
    },
    { heading, message, back: "/" },
  );
  return html(status, body);
}
