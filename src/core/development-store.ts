/**
 * The store used when none is given, as express-session does: fine for a
 * first run on a laptop, wrong for production (sessions end with the process
 * and are not shared between processes), hence the notice and the refusal.
 */
import { MemoryStore } from "../stores/memory/index.js";
import { env } from "./environment.js";
import { ConfigurationError } from "./errors.js";
import type { Logger } from "./options.js";
import type { SessionStore } from "./store.js";

let noticed = false;

export function developmentStore(logger: Pick<Logger, "warn">): SessionStore {
  if (env("NODE_ENV") === "production") {
    throw new ConfigurationError(
      "store: no store given and NODE_ENV is production; pass one, e.g. store: await createStore(process.env.SESSION_STORE ?? 'sqlite:./data/sessions.db')",
    );
  }
  if (!noticed) {
    noticed = true;
    logger.warn(
      "cloakroom: no store given, so sessions live in this process's memory and end when it stops (development only; refused when NODE_ENV=production). Pass store: await createStore('sqlite:./data/sessions.db') to keep them.",
    );
  }
  return new MemoryStore();
}
