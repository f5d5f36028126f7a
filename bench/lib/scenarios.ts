/**
 * Every scenario the bench knows, with what it needs to run. Cloakroom
 * scenarios list the source files of the pieces they use: until a piece has
 * landed in the tree the scenario is reported "not available", never faked.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export type Framework = "express" | "fastify" | "hono";
export type Backend = "none" | "redis" | "postgres" | "sqlite" | "tiered";

export interface Scenario {
  name: string;
  framework: Framework;
  backend: Backend;
  /** A Cloakroom scenario (highlighted in the chart). */
  ours: boolean;
  /** The incumbent a Cloakroom scenario is compared with. */
  pairing?: string;
  /** Repo-relative files that must exist (the pieces a Cloakroom scenario uses). */
  needs: string[];
}

const S = (
  name: string,
  framework: Framework,
  backend: Backend,
  extra: Partial<Scenario> = {},
): Scenario => ({ name, framework, backend, ours: false, needs: [], ...extra });

const EXPRESS = "src/adapters/express/index.ts";
const FASTIFY = "src/adapters/fastify/index.ts";
const HONO = "src/adapters/hono/index.ts";
const REDIS = "src/stores/redis/index.ts";
const PG = "src/stores/postgres/index.ts";
const SQLITE = "src/stores/sqlite/index.ts";
const TIERED = "src/stores/tiered/index.ts";

/** In the order they run (and appear in tables): each pairing's incumbent before ours. */
export const SCENARIOS: readonly Scenario[] = [
  S("express-hello", "express", "none"),
  S("express-raw-redis", "express", "redis"),
  S("express-session+connect-redis", "express", "redis"),
  S("cloakroom-express+redis", "express", "redis", {
    ours: true,
    pairing: "express-raw-redis",
    needs: [EXPRESS, REDIS],
  }),
  // The same on ioredis (?driver=ioredis): compared with the node-redis run.
  S("cloakroom-express+redis-ioredis", "express", "redis", {
    ours: true,
    pairing: "cloakroom-express+redis",
    needs: [EXPRESS, REDIS],
  }),
  S("express-session+connect-pg-simple", "express", "postgres"),
  S("cloakroom-express+postgres", "express", "postgres", {
    ours: true,
    pairing: "express-session+connect-pg-simple",
    needs: [EXPRESS, PG],
  }),
  // PostgreSQL as the truth with a near (in-process memory:) cache in front.
  S("cloakroom-express+tiered-near", "express", "tiered", {
    ours: true,
    pairing: "express-session+connect-pg-simple",
    needs: [EXPRESS, TIERED, PG],
  }),
  S("cloakroom-express+sqlite", "express", "sqlite", {
    ours: true,
    pairing: "express-session+connect-redis",
    needs: [EXPRESS, SQLITE],
  }),
  S("fastify-hello", "fastify", "none"),
  S("fastify-session+connect-redis", "fastify", "redis"),
  // @fastify/session at its cheaper setting (no store write on a read): the pairing.
  S("fastify-session+connect-redis-rolling-false", "fastify", "redis"),
  S("cloakroom-fastify+redis", "fastify", "redis", {
    ours: true,
    pairing: "fastify-session+connect-redis-rolling-false",
    needs: [FASTIFY, REDIS],
  }),
  S("hono-hello", "hono", "none"),
  // No Hono session incumbent exists to pair with: compared with its ceiling only.
  S("cloakroom-hono+redis", "hono", "redis", { ours: true, needs: [HONO, REDIS] }),
];

export const ceilingOf = (s: Scenario): string => `${s.framework}-hello`;

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Why a scenario cannot run from this tree, or null when its pieces are all there. */
export function missingPieces(s: Scenario): string | null {
  const missing = s.needs.filter((f) => !existsSync(root + f));
  return missing.length > 0 ? `not available: ${missing.join(", ")} not in the tree yet` : null;
}

/** `--quick`: Redis and SQLite scenarios only (plus the hellos they are compared with). */
export const inQuick = (s: Scenario): boolean =>
  s.backend === "none" || s.backend === "redis" || s.backend === "sqlite";
