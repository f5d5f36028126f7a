/**
 * Same-origin verification for state-changing requests, the defence in
 * depth the OWASP CSRF Prevention Cheat Sheet pairs with tokens: Fetch
 * Metadata first (`Sec-Fetch-Site`), then `Origin`, then `Referer`, each
 * compared as an exact origin, so `https://app.test.evil.test` never passes
 * for `https://app.test` (CSRF-06, CSRF-07). Pure: the adapter passes the
 * headers and maps a failure to 403. Responses whose outcome depends on these
 * headers should send `Vary: Origin, Sec-Fetch-Site` (CSRF-13).
 */
import { ConfigurationError } from "../core/errors.js";
import { isStateChanging } from "./csrf.js";

/** The request headers the check reads (lower-case names), as strings or absent. */
export interface OriginHeaders {
  method: string;
  origin?: string | null | undefined;
  referer?: string | null | undefined;
  secFetchSite?: string | null | undefined;
}

export interface OriginCheckOptions {
  /** The app's own origins, e.g. `["https://app.example.com"]`. Exact matches only: no wildcards. */
  allowedOrigins: readonly string[];
  /**
   * A state-changing request with neither `Sec-Fetch-Site`, `Origin` nor
   * `Referer` (non-browser clients, privacy proxies). OWASP recommends
   * blocking; `"allow"` leaves such requests to the CSRF token alone.
   * @default "block"
   */
  whenNoHeaders?: "block" | "allow";
}

export type OriginCheck = { ok: true } | { ok: false; status: 403; reason: "cross-origin" };

const CROSS: OriginCheck = Object.freeze({ ok: false, status: 403, reason: "cross-origin" });
const OK: OriginCheck = Object.freeze({ ok: true });

function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:" ? u.origin : null;
  } catch {
    return null;
  }
}

/**
 * A checker bound to the app's origins.
 * @example
 * const sameOrigin = createOriginCheck({ allowedOrigins: ["https://app.example.com"] });
 * const r = sameOrigin({ method: req.method, origin: req.get("origin"), referer: req.get("referer"), secFetchSite: req.get("sec-fetch-site") });
 * if (!r.ok) return res.sendStatus(403);
 */
export function createOriginCheck(options: OriginCheckOptions): (h: OriginHeaders) => OriginCheck {
  const allowed = new Set<string>();
  for (const o of options.allowedOrigins) {
    const normal = originOf(o);
    if (normal === null || normal !== o.replace(/\/$/, "").toLowerCase()) {
      throw new ConfigurationError(
        `allowedOrigins: "${o}" is not an origin like https://app.example.com`,
      );
    }
    allowed.add(normal);
  }
  const allowBare = (options.whenNoHeaders ?? "block") === "allow";

  return (h) => {
    if (!isStateChanging(h.method)) return OK;
    const site = h.secFetchSite?.toLowerCase();
    // same-site is not same-origin: a sibling subdomain is same-site (CSRF-12), so only same-origin passes.
    if (site) return site === "same-origin" || site === "none" ? OK : CROSS;
    if (h.origin) {
      const o = originOf(h.origin); // "null" (sandboxed, file:, some redirects) parses to null: refused
      return o !== null && allowed.has(o) ? OK : CROSS;
    }
    if (h.referer) {
      const o = originOf(h.referer);
      return o !== null && allowed.has(o) ? OK : CROSS;
    }
    return allowBare ? OK : CROSS;
  };
}
