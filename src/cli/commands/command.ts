import type { ParseArgsConfig } from "node:util";
import type { SessionStore } from "../../core/store.js";
import { createStore } from "../../stores/create-store.js";
import type { Output } from "../output.js";

export interface Command {
  usage: string;
  summary: string;
  options?: ParseArgsConfig["options"];
  run(
    positionals: string[],
    values: Record<string, string | boolean | undefined>,
    out: Output,
  ): Promise<number>;
}

/** Opens the store named by the first positional, runs `fn`, and always closes it. */
export async function withStore<T>(
  url: string | undefined,
  out: Output,
  fn: (store: SessionStore) => Promise<T>,
): Promise<T | number> {
  if (!url) {
    out.error("give a store URL, e.g. sqlite:./data/sessions.db");
    return 1;
  }
  const store = await createStore(url);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
