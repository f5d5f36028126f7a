import type { SessionStore } from "../../core/store.js";
import { createStore, schemeOf } from "../../stores/create-store.js";
import type { Output } from "../output.js";

/**
 * Exit codes, the same for every command (documented in docs/cli.md):
 * scripts and monitoring branch on them.
 */
export const EXIT = {
  /** Healthy, or the work is done. */
  OK: 0,
  /** Warnings, or input refused (bad arguments, nothing confirmed). */
  WARN: 1,
  /** Failure: the store is unreachable, a migration failed, … */
  FAIL: 2,
} as const;

/** One option of a command; `help` is its line in `--help`. */
export interface CommandOption {
  type: "string" | "boolean";
  short?: string;
  /** What it does, for `--help`. */
  help?: string;
}

/**
 * One CLI command, one file in ./commands. Every command gets `--help` and
 * `--json` without declaring them: in JSON mode it prints one JSON document
 * on stdout (`out.json`) and nothing else there.
 */
export interface Command {
  /** Arguments after the command name, e.g. `stats [store-url]`. */
  usage: string;
  /** One line, for the command list. */
  summary: string;
  /** Invocations shown by `--help`, without the program name. */
  examples?: readonly string[];
  options?: Record<string, CommandOption>;
  run(
    positionals: string[],
    values: Record<string, string | boolean | undefined>,
    out: Output,
  ): Promise<number>;
}

/**
 * Opens the store named by the first positional (else `SESSION_STORE`), runs
 * `fn`, and always closes it. Only `create` (migrate) may create a SQLite file.
 */
export async function withStore<T>(
  url: string | undefined,
  out: Output,
  fn: (store: SessionStore) => Promise<T>,
  { create = false }: { create?: boolean } = {},
): Promise<T | number> {
  const resolved = url ?? process.env.SESSION_STORE;
  if (!resolved) {
    out.error("give a store URL (or set SESSION_STORE), e.g. sqlite:./data/sessions.db");
    return EXIT.WARN;
  }
  // Commands look at a store; they never create one: a mistyped SQLite path is
  // an error naming the file, not a fresh empty database that reports 0.
  const store = await createStore(
    resolved,
    schemeOf(resolved) === "sqlite" ? { mustExist: !create, reaper: false } : {},
  );
  try {
    return await fn(store);
  } finally {
    await store.close?.();
  }
}
