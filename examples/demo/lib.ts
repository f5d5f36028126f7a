/**
 * The one place the demo imports Cloakroom from. A real app writes
 * `from "cloakroom"`; the demo runs from the source tree (no build step for
 * `npm start`), so it imports the same modules by path.
 */

export { session } from "../../src/adapters/express/index.js";
export { type SessionVariables, session as honoSession } from "../../src/adapters/web/index.js";
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
