/**
 * The one place the demo imports Cloakroom from. A real app writes
 * `from "cloakroom-sessions"`; the demo runs from the source tree (no build step for
 * `npm start`), so it imports the same modules by path. The adapters
 * (`cloakroom-sessions/express`, `/fastify`, `/web`) are imported by their wiring
 * only, so running on one framework never loads the others.
 */

export {
  type Auth,
  AuthBusyError,
  createAuth,
  csrfToken,
  PasswordRejectedError,
  verifyCsrf,
} from "../../src/auth/index.js";
export {
  ConfigurationError,
  createSessions,
  createStore,
  importDriver,
  isCloakroomError,
  parseDuration,
  redact,
  type Session,
  SessionDataError,
  type SessionManager,
  type SessionStore,
  SessionTooLargeError,
  StoreUnavailableError,
} from "../../src/index.js";
