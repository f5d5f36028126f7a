/** Adapters accept a ready {@link SessionManager} or the options to build one. */
import { createSessions, type SessionManager } from "../../core/manager.js";
import type { SessionOptions } from "../../core/options.js";

/** A {@link SessionManager}, or the {@link SessionOptions} to create one with `createSessions`. */
export type SessionsConfig = SessionManager | SessionOptions;

/**
 * The manager an adapter uses. Recognised by shape rather than `instanceof`,
 * so a manager built by another copy of the package (a bundled `dist` next to
 * `src` in a monorepo) still works.
 */
export function managerOf(config: SessionsConfig): SessionManager {
  const m = config as Partial<SessionManager>;
  if (typeof m.load === "function" && typeof m.commit === "function") return m as SessionManager;
  return createSessions(config as SessionOptions);
}

/** The message logged when a cookie could not be sent because the headers had already left. */
export const HEADERS_SENT_MESSAGE =
  "cloakroom: the session changed after the response headers were sent, so its cookie could not be sent; call `await session.save()` before streaming or writing the head";
