/** What the numbers were measured on: enough to tell two runs' machines apart. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem, type } from "node:os";

const version = (pkg: string): string => {
  try {
    return (
      JSON.parse(readFileSync(`node_modules/${pkg}/package.json`, "utf8")) as { version: string }
    ).version;
  } catch {
    return "absent";
  }
};

const git = (...args: string[]): string => {
  try {
    return execFileSync("git", args, { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
};

export function machine(extra: Record<string, unknown>): Record<string, unknown> {
  const c = cpus();
  return {
    date: new Date().toISOString(),
    cpu: c[0]?.model ?? "unknown",
    cores: c.length,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    os: type(),
    node: process.version,
    loadavg_at_start: loadavg().map((x) => Math.round(x * 100) / 100),
    commit: git("rev-parse", "--short", "HEAD"),
    tree_dirty: git("status", "--porcelain", "--", "src").length > 0,
    versions: Object.fromEntries(
      [
        "express",
        "express-session",
        "connect-redis",
        "connect-pg-simple",
        "fastify",
        "@fastify/session",
        "@fastify/cookie",
        "hono",
        "@hono/node-server",
        "redis",
        "pg",
        "better-sqlite3",
        "autocannon",
      ].map((p) => [p, version(p)]),
    ),
    ...extra,
  };
}
