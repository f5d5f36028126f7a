/**
 * `cloakroom-sessions/web`: sessions for the Fetch API (`Request`/`Response`):
 * plain helpers for any fetch-style handler (Deno, Bun, workers, Next.js
 * route handlers). No Node-only API and no framework on this path; the Hono
 * middleware is `cloakroom-sessions/hono`.
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
