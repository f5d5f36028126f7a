/**
 * The demo's framework-neutral request and response. Each wiring (Express,
 * Fastify, Hono) turns its framework's request into a {@link DemoRequest}
 * and writes a {@link DemoResponse} back; everything else is shared.
 */
import type { Session } from "../lib.js";

export interface DemoRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query string parameters (first value of each). */
  query: Record<string, string>;
  /** Route parameters, e.g. `{ id }` for `/sessions/:id/revoke`. */
  params: Record<string, string>;
  /** Parsed body: an object of strings for forms, any JSON value for JSON, undefined when none. */
  body: unknown;
  /** The media type of the body, lower-case, without parameters; null when absent. */
  contentType: string | null;
  /** Header names lower-case. */
  headers: Record<string, string | undefined>;
  ip: string | null;
  /** The Cloakroom session the adapter loaded for this request. */
  session: Session;
}

export interface DemoResponse {
  status: number;
  headers: Record<string, string>;
  /** Empty for redirects and 204. */
  body: string;
}

/**
 * Sent with every response. No inline script anywhere, so the CSP can forbid
 * it outright (the one script, /passkeys.js, is a file of this origin); frame-ancestors stops clickjacking of the revoke buttons.
 */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  // Pages show who is signed in and their sessions: never cache them anywhere.
  "cache-control": "no-store",
};

function respond(status: number, headers: Record<string, string>, body: string): DemoResponse {
  return { status, headers: { ...SECURITY_HEADERS, ...headers }, body };
}

export const html = (status: number, body: string, headers: Record<string, string> = {}) =>
  respond(status, { "content-type": "text/html; charset=utf-8", ...headers }, body);

export const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
  respond(
    status,
    { "content-type": "application/json; charset=utf-8", ...headers },
    JSON.stringify(value),
  );

/** 303 See Other: after a POST the browser follows with a GET (RFC 9110 §15.4.4). */
export const redirect = (location: string) => respond(303, { location }, "");

export const noContent = () => respond(204, {}, "");

export const asset = (body: string, contentType: string) =>
  respond(200, { "content-type": contentType, "cache-control": "public, max-age=300" }, body);

/** True for `/api/*`: those answer JSON, pages answer HTML and redirects. */
export const isApi = (path: string) => path === "/api" || path.startsWith("/api/");
