import { ConfigurationError } from "../../core/errors.js";
import type { LegacySource } from "./source.js";

export type { LegacySource, ScanPage } from "./source.js";
export type { ExpressStoreLike } from "./store-instance.js";

/** The old store URL schemes: connect-redis, connect-pg-simple, session-file-store. */
export const LEGACY_SCHEMES = ["redis:", "rediss:", "postgres:", "postgresql:", "file:"];

/** Opens the old store a URL names (drivers imported only now). */
export async function openLegacySource(url: string, timeoutMs: number): Promise<LegacySource> {
  const scheme = /^([a-z][a-z0-9+.-]*:)/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case "redis:":
    case "rediss:":
      return (await import("./redis.js")).redisSource(url, timeoutMs);
    case "postgres:":
    case "postgresql:":
      return (await import("./postgres.js")).postgresSource(url, timeoutMs);
    case "file:":
      return (await import("./file.js")).fileSource(url);
    default:
      throw new ConfigurationError(
        `old session store URL: the scheme must be one of ${LEGACY_SCHEMES.join(" ")} (connect-redis, connect-pg-simple, session-file-store), or pass the express-session Store instance`,
      );
  }
}
