/**
 * The one place the demo imports Cloakroom's core from, by package name as an
 * app does. The adapters (`cloakroom-sessions/express`, `/fastify`, `/hono`)
 * are imported by their wiring only, so running on one framework never loads
 * the others. The names resolve to this repository itself (package
 * self-reference); `npm start`, the tests and `tsc` pass the
 * `cloakroom-source` export condition, which maps them to `src/*.ts`, so no
 * build step is needed (see package.json "exports").
 */

export {
  ConfigurationError,
  createSessions,
  createStore,
  isCloakroomError,
  MissingDriverError,
  parseDuration,
  redact,
  type Session,
  SessionDataError,
  type SessionManager,
  type SessionStore,
  SessionTooLargeError,
  StoreUnavailableError,
} from "cloakroom-sessions";
export {
  type AuditEvent,
  type AuditSink,
  type Auth,
  AuthBusyError,
  auditFile,
  type ClosableAuditSink,
  createAuth,
  createLoginThrottle,
  createPasskeys,
  csrfToken,
  describeDevice,
  type PasskeyCredential,
  type PasskeyDirectory,
  type PasskeyFailure,
  type PasskeyInfo,
  type Passkeys,
  type PasskeyUse,
  type PasswordHashReason,
  PasswordRejectedError,
} from "cloakroom-sessions/auth";
export {
  createMetrics,
  type SessionMetrics,
  wrapStore,
} from "cloakroom-sessions/metrics";
