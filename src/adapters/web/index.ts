/**
 * `cloakroom-sessions/web`: sessions for the Fetch API (`Request`/`Response`): a Hono
 * middleware, and plain helpers for any fetch-style handler (Deno, Bun,
 * workers, Next.js route handlers). No Node-only API on this path.
 */
export type { SessionsConfig } from "../common/manager-of.js";
export { RequestSession } from "../common/request-session.js";
export {
  applyHeaders,
  type ConnectionInfo,
  commitSession,
  errorResponse,
  loadSession,
  requestInfo,
} from "./fetch.js";
export { type HonoSessionOptions, type SessionVariables, session } from "./hono.js";
