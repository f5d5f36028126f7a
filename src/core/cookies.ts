/**
 * Reading the session cookie from a `Cookie` header and writing `Set-Cookie`,
 * both through the `cookie` package (RFC 6265bis grammar, null-prototype
 * parse result, first duplicate wins, decoding that cannot throw).
 */
import { parse, serialize } from "cookie";

/** Browsers cap one cookie near 4096 bytes (RFC 6265bis §5.6); anything longer is not ours. */
const MAX_COOKIE_HEADER = 16 * 1024;
const MAX_TOKEN_LENGTH = 256;

export interface CookieSettings {
  name: string;
  secure: boolean | "auto";
  sameSite: "lax" | "strict" | "none";
  httpOnly: boolean;
  path: string;
  domain: string | undefined;
  /** Use the `__Host-` prefix when the cookie is Secure, host-only and at Path=/. */
  hostPrefix: boolean;
  partitioned: boolean;
}

/**
 * The cookie name for this request. `__Host-` binds the cookie to this exact
 * origin, Secure and Path=/ (RFC 6265bis §4.1.3.2), which stops a sibling
 * subdomain or an HTTP page from planting a session cookie (fixation).
 */
export function cookieName(settings: CookieSettings, secure: boolean): string {
  const prefixed = secure && settings.hostPrefix && !settings.domain && settings.path === "/";
  return prefixed ? `__Host-${settings.name}` : settings.name;
}

export function isSecure(settings: CookieSettings, requestSecure: boolean): boolean {
  return settings.secure === "auto" ? requestSecure : settings.secure;
}

/** The raw token from a Cookie header, or undefined. Never throws. */
export function readToken(header: string | undefined | null, name: string): string | undefined {
  if (!header || header.length > MAX_COOKIE_HEADER || !header.includes(name)) return undefined;
  const value = parse(header)[name];
  if (value === undefined || value.length === 0 || value.length > MAX_TOKEN_LENGTH)
    return undefined;
  return value;
}

/** `Set-Cookie` value carrying a token; `maxAgeSeconds` undefined gives a browser-session cookie. */
export function serializeToken(
  settings: CookieSettings,
  secure: boolean,
  token: string,
  maxAgeSeconds: number | undefined,
): string {
  return serialize(cookieName(settings, secure), token, {
    httpOnly: settings.httpOnly,
    sameSite: settings.sameSite,
    secure,
    path: settings.path,
    domain: settings.domain,
    partitioned: settings.partitioned || undefined,
    maxAge: maxAgeSeconds,
  });
}

/** `Set-Cookie` value that deletes the cookie: the same name, Path and Domain as issued (REL-56). */
export function serializeClear(settings: CookieSettings, secure: boolean): string {
  return serialize(cookieName(settings, secure), "", {
    httpOnly: settings.httpOnly,
    sameSite: settings.sameSite,
    secure,
    path: settings.path,
    domain: settings.domain,
    partitioned: settings.partitioned || undefined,
    maxAge: 0,
    expires: new Date(0),
  });
}

/**
 * Whether the request came over HTTPS. `X-Forwarded-Proto` counts only when
 * the proxy is trusted, and only its first hop (the client-facing one).
 */
export function requestIsSecure(
  encrypted: boolean,
  forwardedProto: string | null | undefined,
  trustProxy: boolean,
): boolean {
  if (encrypted) return true;
  if (!trustProxy || !forwardedProto) return false;
  const first = forwardedProto.split(",", 1)[0]!.trim().toLowerCase();
  return first === "https";
}
