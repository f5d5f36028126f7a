/**
 * What every Cloakroom scenario shares: the store, opened from a URL through
 * the public `createStore` (as a user would), and the session options. Each
 * scenario file then mounts its framework's adapter with the same routes as
 * the incumbents. The store's statements are counted before it opens.
 */
import {
  createSessions,
  createStore,
  type SessionManager,
  type SessionStore,
} from "cloakroom-sessions";
import { countPgStatements, countSqliteStatements, env, IDLE_MS } from "./common.js";

/**
 * What users run is the built package: `cloakroom-sessions` resolves through
 * the package's exports to dist/ (the harness runs `npm run build` first and
 * never passes the `cloakroom-source` condition). Refuse to measure anything else.
 */
export const PACKAGE_ENTRY = import.meta.resolve("cloakroom-sessions");
if (!PACKAGE_ENTRY.includes("/dist/")) {
  throw new Error(
    `bench servers must run the built package, but cloakroom-sessions resolved to ${PACKAGE_ENTRY}`,
  );
}

export type Backend = "redis" | "redis-ioredis" | "postgres" | "sqlite" | "tiered-near";

/** The store URL of a backend, with the places the harness prepared. */
export function storeUrl(backend: Backend): string {
  switch (backend) {
    // The URL as users write it: node-redis, the client every incumbent's Redis
    // scenario uses too (connect-redis 9 takes no other), so a comparison runs on one client.
    case "redis":
      return env.redisUrl;
    // The other client the store supports.
    case "redis-ioredis":
      return `${env.redisUrl}?driver=ioredis`;
    case "postgres":
      return env.pgUrl;
    case "sqlite":
      return `sqlite:${env.sqliteFile}`;
    case "tiered-near":
      return `tiered:?durable=${encodeURIComponent(env.pgUrl)}&cache=${encodeURIComponent("memory:")}`;
  }
}

export async function openSessions(
  backend: Backend,
): Promise<{ store: SessionStore; sessions: SessionManager }> {
  if (backend === "postgres" || backend === "tiered-near") await countPgStatements();
  if (backend === "sqlite") await countSqliteStatements();
  const store = await createStore(storeUrl(backend));
  await store.migrate?.();
  // Defaults otherwise (30 min idle, touch at most every 3 min), so a read-only run writes nothing.
  const sessions = createSessions({ store, secrets: [env.secret], idleTimeout: IDLE_MS });
  return { store, sessions };
}

export function backendOf(arg: string | undefined): Backend {
  if (
    arg === "redis" ||
    arg === "redis-ioredis" ||
    arg === "postgres" ||
    arg === "sqlite" ||
    arg === "tiered-near"
  )
    return arg;
  throw new Error(`unknown backend ${arg}`);
}
