import type { CookieSettings } from "./cookies.js";
import { developmentStore } from "./development-store.js";
import { type Duration, parseDuration } from "./duration.js";
import { debugEnabled } from "./environment.js";
import { ConfigurationError } from "./errors.js";
import type { LegacySessions } from "./legacy.js";
import type { SessionStore } from "./store.js";
import { type SigningKeys, signingKeys } from "./token.js";

/**
 * Where Cloakroom reports what it decided and why. Defaults: warn/error to
 * the console; debug (why a cookie was ignored, what a commit wrote, whether
 * the cookie got `Secure`/`__Host-`) to stderr when `DEBUG=cloakroom` is set
 * (the `debug` package's syntax: `cloakroom*`, `*` work too), else silent.
 */
export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** Options of {@link createSessions}. Only `store` and `secrets` are required. */
export interface SessionOptions {
  /**
   * Where sessions live. Build one with `createStore(url)` or a store's own
   * factory. Left out while `NODE_ENV` is not `production`: an in-process
   * memory store, with a one-time notice (sessions end when the process
   * does). Left out in production: a `ConfigurationError`.
   */
  store?: SessionStore | undefined;
  /**
   * App secrets, at least 32 bytes each. The first signs new cookies; all
   * verify, so `[next, current]` rotates without logging anyone out. A cookie
   * verified by an older secret is re-issued under the first. A string is
   * split at commas, so an environment variable can hold the list.
   * `undefined` (an unset variable) is a `ConfigurationError` at startup.
   * @example secrets: process.env.SESSION_SECRET // "new,old"
   */
  secrets: string | readonly string[] | undefined;
  /** Sliding idle timeout (ms or `"30m"`). @default "30m" (OWASP ASVS L2) */
  idleTimeout?: Duration;
  /** Absolute lifetime from creation (ms or `"12h"`). @default "12h" */
  absoluteTimeout?: Duration;
  /**
   * Minimum time between two writes that only move the idle deadline, so
   * read-only traffic costs no store write.
   * @default a tenth of `idleTimeout`
   */
  touchInterval?: Duration;
  /** Refuse writes that would make a session larger than this (bytes, keys + JSON). @default 65536 */
  maxBytes?: number;
  /**
   * The size limit of an anonymous (not signed-in) session, bytes, keys +
   * JSON: a visitor who never signs in stores at most this much, however
   * many sessions it opens (issue 10 finding 7). Enforced like `maxBytes`,
   * in the handler and atomically in the store; signing in lifts the limit
   * to `maxBytes`. Set it to `maxBytes` for one limit for everyone.
   * @default 4096 (at most `maxBytes`)
   */
  anonymousMaxBytes?: number;
  cookie?: {
    /** @default "cloakroom" (sent as `__Host-cloakroom` when secure) */
    name?: string;
    /** `"auto"`: Secure exactly when the request is HTTPS. @default "auto" */
    secure?: boolean | "auto";
    /** @default "lax" */
    sameSite?: "lax" | "strict" | "none";
    /** @default true */
    httpOnly?: boolean;
    /** @default "/" */
    path?: string;
    /** Leave unset for a host-only cookie (required for `__Host-`). */
    domain?: string;
    /** Use the `__Host-` prefix whenever the cookie is Secure, host-only, at `/`. @default true */
    hostPrefix?: boolean;
    /** CHIPS partitioned cookie. @default false */
    partitioned?: boolean;
  };
  /** Trust `X-Forwarded-Proto` (first hop) to decide whether a request is HTTPS. @default false */
  trustProxy?: boolean;
  /**
   * `Cache-Control` for responses that set a session cookie, so shared caches
   * never store one user's cookie for another. `false` leaves it to you.
   * @default "private, no-store"
   */
  cacheControl?: string | false;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
  logger?: Partial<Logger>;
  /**
   * Take over sessions of the library you are leaving (express-session,
   * @fastify/session) when a request carries its cookie and no Cloakroom one.
   * @example legacy: fromExpressSession({ from: "redis://127.0.0.1:6379", secrets: [oldSecret] })
   * @see `cloakroom-sessions/migrate`
   */
  legacy?: LegacySessions;
  /**
   * Let handlers keep express-session style code (`req.session.cart = …`,
   * `req.session.cart.push(…)`, `regenerate(cb)`): each top-level key a handler
   * touched is compared as JSON at commit and only changed keys are written.
   * Costs a JSON parse per key read and a stringify per key at commit (see docs/migrating.md).
   * @default false
   */
  legacyProperties?: boolean;
}

export interface ResolvedOptions {
  store: SessionStore;
  keys: SigningKeys;
  idleTimeout: number;
  absoluteTimeout: number;
  touchInterval: number;
  maxBytes: number;
  anonymousMaxBytes: number;
  cookie: CookieSettings;
  trustProxy: boolean;
  /** Whether debug messages go anywhere: skip building them otherwise (hot path). */
  debug: boolean;
  cacheControl: string | false;
  now: () => number;
  logger: Logger;
  legacy: LegacySessions | undefined;
  legacyProperties: boolean;
}

const noop = () => {};

/** `__Host-` + name + `=` + a 90-character token must stay within 4096 octets (RFC 6265bis §5.6). */
const MAX_COOKIE_NAME = 4096 - "__Host-=".length - 90;
/** RFC 6265 §4.1.1 path-value (no CTL, no `;`), absolute as §5.2.4 requires; the grammar `cookie` enforces. */
const PATH_VALUE = /^\/[\u0020-\u003A\u003D-\u007E]*$/;
/** A host name, optionally with a leading dot: letters, digits, hyphens (the grammar `cookie` enforces). */
const DOMAIN_VALUE =
  /^\.?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
/** RFC 9110 §5.5 field-value without obs-text: no CR, LF or NUL can split the response. */
const FIELD_VALUE = /^[\t\u0020-\u007E]*$/;

/**
 * Path and Domain checked at startup, so a `;` or CR/LF in either can never
 * inject a cookie attribute or split the response (GHSA-pxg6-pf52-xh8x,
 * CVE-2016-5325), and a typo is a startup error rather than a 500 on every
 * first write (the `cookie` package would only throw then).
 */
function checkCookieAttributes(path: string | undefined, domain: string | undefined): void {
  if (path !== undefined && !PATH_VALUE.test(path)) {
    throw new ConfigurationError(
      `cookie.path: ${JSON.stringify(path)} is not a cookie path (starts with "/", no ";" or control characters)`,
    );
  }
  if (domain !== undefined && !DOMAIN_VALUE.test(domain)) {
    throw new ConfigurationError(
      `cookie.domain: ${JSON.stringify(domain)} is not a host name (letters, digits, dots and hyphens)`,
    );
  }
}

export function resolveOptions(o: SessionOptions): ResolvedOptions {
  if (!o || typeof o !== "object") {
    throw new ConfigurationError("pass the session options: { store, secrets }");
  }
  const debugOn = debugEnabled();
  const logger: Logger = {
    debug: debugOn ? debugToStderr : noop,
    warn: console.warn,
    error: console.error,
    ...o.logger,
  };
  const store = o.store === undefined ? developmentStore(logger) : o.store;
  if (typeof store?.get !== "function") {
    throw new ConfigurationError(
      "store: pass a store, e.g. store: await createStore('sqlite:./data/sessions.db')",
    );
  }
  const secrets = secretList(o.secrets);
  const idleTimeout = parseDuration(o.idleTimeout ?? "30m", "idleTimeout");
  const absoluteTimeout = parseDuration(o.absoluteTimeout ?? "12h", "absoluteTimeout");
  if (idleTimeout <= 0 || absoluteTimeout <= 0) {
    throw new ConfigurationError("idleTimeout and absoluteTimeout must be above zero");
  }
  const touchInterval = parseDuration(
    o.touchInterval ?? Math.floor(idleTimeout / 10),
    "touchInterval",
  );
  const maxBytes = o.maxBytes ?? 64 * 1024;
  if (!Number.isInteger(maxBytes) || maxBytes < 256) {
    throw new ConfigurationError(`maxBytes: ${maxBytes} is too small; use at least 256`);
  }
  const anonymousMaxBytes = o.anonymousMaxBytes ?? Math.min(4096, maxBytes);
  if (
    !Number.isInteger(anonymousMaxBytes) ||
    anonymousMaxBytes < 256 ||
    anonymousMaxBytes > maxBytes
  ) {
    throw new ConfigurationError(
      `anonymousMaxBytes: ${anonymousMaxBytes} must be a whole number from 256 to maxBytes (${maxBytes})`,
    );
  }
  const c = o.cookie ?? {};
  const name = c.name ?? "cloakroom";
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
    throw new ConfigurationError(
      `cookie.name: "${name}" is not a valid cookie name (RFC 6265 token)`,
    );
  }
  // name=value must fit the 4096 octets browsers keep (RFC 6265bis §5.6, ASVS 5.0 V3.3.5);
  // a longer name is dropped by the browser without a word (iron-session #116).
  if (name.length > MAX_COOKIE_NAME) {
    throw new ConfigurationError(
      `cookie.name: ${name.length} characters; at most ${MAX_COOKIE_NAME} fit in a cookie`,
    );
  }
  checkCookieAttributes(c.path, c.domain);
  const sameSite = c.sameSite ?? "lax";
  if (sameSite === "none" && c.secure === false) {
    throw new ConfigurationError(
      "cookie.sameSite 'none' requires Secure cookies; browsers drop it otherwise",
    );
  }
  if (
    o.cacheControl !== undefined &&
    o.cacheControl !== false &&
    !FIELD_VALUE.test(o.cacheControl)
  ) {
    throw new ConfigurationError(
      "cacheControl: not a valid header value (visible ASCII, spaces and tabs only)",
    );
  }
  return {
    store,
    keys: signingKeys(secrets),
    idleTimeout,
    absoluteTimeout,
    touchInterval,
    maxBytes,
    anonymousMaxBytes,
    cookie: {
      name,
      secure: c.secure ?? "auto",
      sameSite,
      httpOnly: c.httpOnly ?? true,
      path: c.path ?? "/",
      domain: c.domain,
      hostPrefix: c.hostPrefix ?? true,
      partitioned: c.partitioned ?? false,
    },
    trustProxy: o.trustProxy ?? false,
    debug: debugOn || typeof o.logger?.debug === "function",
    cacheControl: o.cacheControl ?? "private, no-store",
    now: o.now ?? Date.now,
    logger,
    legacy: o.legacy,
    legacyProperties: o.legacyProperties ?? false,
  };
}

/**
 * `secrets` as given, or split at commas when it is one string (an environment
 * variable holding `new,old`). The usual slip, an unset variable, gets a
 * message that says so instead of a TypeError deep inside.
 */
function secretList(secrets: string | readonly string[] | undefined): readonly string[] {
  if (secrets === undefined || secrets === null) {
    throw new ConfigurationError(
      "secrets is undefined: is the environment variable that holds it (SESSION_SECRET in the docs) set? Generate one with `openssl rand -base64 32`",
    );
  }
  if (typeof secrets === "string") {
    if (secrets.trim() === "") {
      throw new ConfigurationError(
        "secrets is an empty string: is SESSION_SECRET (or the variable you read it from) set? Generate one with `openssl rand -base64 32`",
      );
    }
    return secrets.split(",");
  }
  return secrets;
}

function debugToStderr(message: string, meta?: Record<string, unknown>): void {
  if (meta === undefined) console.error(`[debug] ${message}`);
  else console.error(`[debug] ${message}`, meta);
}
