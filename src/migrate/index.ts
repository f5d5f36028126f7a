/**
 * `cloakroom-sessions/migrate`: switch from express-session or
 * @fastify/session without logging anyone out.
 *
 * @example
 * import { createSessions, createStore } from "cloakroom-sessions";
 * import { fromExpressSession } from "cloakroom-sessions/migrate";
 *
 * const sessions = createSessions({
 *   store: await createStore(process.env.SESSION_STORE!),
 *   secrets: process.env.SESSION_SECRET!.split(","),
 *   legacy: fromExpressSession({
 *     from: "redis://127.0.0.1:6379?prefix=sess:",
 *     secrets: [process.env.OLD_SESSION_SECRET!],
 *     acceptLegacyUntil: new Date("2026-03-01"),
 *   }),
 * });
 */
import { parseDuration } from "../core/duration.js";
import { ConfigurationError } from "../core/errors.js";
import type { LegacySessions } from "../core/legacy.js";
import { DEFAULT_USER_KEYS } from "./convert.js";
import type { LegacyFormat } from "./old-cookie.js";
import { type ExpressStoreLike, type LegacySource, openLegacySource } from "./sources/index.js";
import { isExpressStore, storeInstanceSource } from "./sources/store-instance.js";
import { LegacyTakeover } from "./takeover.js";

export type {
  LegacyContext,
  LegacyContextOptions,
  LegacyResult,
  LegacySession,
  LegacySessions,
} from "../core/legacy.js";
export type { Converted, ConvertOptions, RawRecord, SkipReason } from "./convert.js";
export { convertRecord, DEFAULT_USER_KEYS } from "./convert.js";
export type { LegacyFormat } from "./old-cookie.js";
export type { ExpressStoreLike, LegacySource, ScanPage } from "./sources/index.js";
export { LEGACY_SCHEMES, openLegacySource } from "./sources/index.js";
export type { Callback } from "./sources/store-instance.js";
export { secretForLegacyId } from "./takeover.js";

/** Options of {@link fromExpressSession} and {@link fromFastifySession}. */
export interface LegacyOptions {
  /**
   * The old store: a URL — `redis://host:port/db?prefix=sess:` (connect-redis),
   * `postgres://…?table=session&schema=public` (connect-pg-simple),
   * `file:./sessions?ttl=3600` (session-file-store) — or the express-session
   * `Store` instance the old app used.
   */
  from: string | ExpressStoreLike;
  /** The old app's `secret` (a list when it rotated): every one verifies. */
  secrets: string | readonly string[];
  /** The old cookie's name. @default "connect.sid" (express-session), "sessionId" (@fastify/session) */
  cookieName?: string;
  /** The old cookie's Path and Domain, so clearing it reaches the same cookie. @default "/", host-only */
  cookiePath?: string;
  cookieDomain?: string;
  /** @fastify/session's `cookiePrefix`. @default "" */
  cookiePrefix?: string;
  /**
   * Where the user id lives in the old session, as dotted paths tried in order.
   * @default ["passport.user", "userId", "user_id"]
   */
  userKey?: string | readonly string[];
  /**
   * The end of the transition: from this instant old cookies are ignored and
   * the old store is never opened. Leave unset while users may still come back.
   */
  acceptLegacyUntil?: Date;
  /**
   * How long after a takeover the same old cookie is still accepted: requests
   * that were already in flight when the first one took it over. After that a
   * replayed old cookie is refused. @default "10s"
   */
  raceWindow?: number | string;
  /** Bound on each old-store call (an express-session Store that never calls back). @default 2000 */
  timeoutMs?: number;
}

/** The resolver plus `close()`, which releases the connection to the old store. */
export interface LegacyMigration extends LegacySessions {
  close(): Promise<void>;
}

function build(format: LegacyFormat, o: LegacyOptions): LegacyMigration {
  const secrets = typeof o.secrets === "string" ? [o.secrets] : [...(o.secrets ?? [])];
  if (secrets.length === 0 || secrets.some((s) => typeof s !== "string" || s.length === 0)) {
    throw new ConfigurationError("legacy secrets: give the old app's secret (or its list)");
  }
  if (!o.from || (typeof o.from !== "string" && !isExpressStore(o.from))) {
    throw new ConfigurationError(
      "legacy from: give the old store's URL or its express-session Store instance",
    );
  }
  if (o.acceptLegacyUntil !== undefined && Number.isNaN(o.acceptLegacyUntil.getTime?.())) {
    throw new ConfigurationError("acceptLegacyUntil: not a valid Date");
  }
  const timeoutMs = o.timeoutMs ?? 2000;
  let opened: Promise<LegacySource> | null = null;
  const from = o.from;
  const source = () => {
    opened ??= (
      typeof from === "string"
        ? openLegacySource(from, timeoutMs)
        : Promise.resolve(storeInstanceSource(from, timeoutMs))
    ).catch((err: unknown) => {
      opened = null;
      throw err;
    });
    return opened;
  };
  const userKeys =
    o.userKey === undefined
      ? DEFAULT_USER_KEYS
      : typeof o.userKey === "string"
        ? [o.userKey]
        : o.userKey;
  const takeover = new LegacyTakeover({
    cookie: {
      format,
      name: o.cookieName ?? (format === "express-session" ? "connect.sid" : "sessionId"),
      secrets,
      prefix: o.cookiePrefix ?? "",
      path: o.cookiePath ?? "/",
      domain: o.cookieDomain,
    },
    source,
    userKeys,
    until: o.acceptLegacyUntil?.getTime() ?? null,
    raceWindow: parseDuration(o.raceWindow ?? "10s", "raceWindow"),
    claimWait: Math.min(timeoutMs, 500),
  });
  return {
    load: (req, options, context) => takeover.load(req, options, context),
    async close() {
      const pending = opened;
      opened = null;
      if (pending === null) return;
      let src: LegacySource;
      try {
        src = await pending;
      } catch {
        return; // it never opened: nothing to release
      }
      await src.close();
    },
  };
}

/**
 * Takes over express-session sessions (`connect.sid=s:<sid>.<sig>`).
 * Pass the result as the `legacy` option of `createSessions` (or of any adapter).
 */
export function fromExpressSession(options: LegacyOptions): LegacyMigration {
  return build("express-session", options);
}

/** Takes over @fastify/session sessions (`sessionId=<sid>.<sig>`). */
export function fromFastifySession(options: LegacyOptions): LegacyMigration {
  return build("fastify-session", options);
}

export type { ImportCounts, ImportOptions, ImportResult, ImportSkipReason } from "./import.js";
export { emptyCounts, importSessions } from "./import.js";
