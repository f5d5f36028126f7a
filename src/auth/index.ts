/**
 * `cloakroom-sessions/auth`: password login, logout everywhere, throttling, roles and
 * permissions, sudo mode, CSRF tokens and a device list, on top of the core
 * sessions. Framework-agnostic: calls take a {@link Session} and resolve to
 * result objects that each adapter maps to HTTP. See docs/auth.md.
 * @example
 * const auth = createAuth({ sessions, users });
 * const r = await auth.login(session, { username, password, ip });
 * const guard = await auth.requireRole(session, "admin"); // { ok: true, user } | { ok: false, status, reason }
 */

export type { AuthenticationRecord, AuthMethod } from "./amr.js";
export { authenticationOf } from "./amr.js";
export type {
  AuditEvent,
  AuditEventType,
  AuditInput,
  AuditSink,
  CookieRefusal,
  RevokedBy,
} from "./audit.js";
export { AUDIT_EVENT_TYPES } from "./audit.js";
export type {
  AuditFileOptions,
  ClosableAuditSink,
  InfoLogger,
  LineWritable,
} from "./audit-sinks.js";
export { auditFile, auditJsonLines, auditToLogger } from "./audit-sinks.js";
export { createAuth } from "./auth.js";
export {
  CSRF_FIELD,
  CSRF_HEADER,
  checkCsrf,
  csrfToken,
  isStateChanging,
  resetCsrf,
  verifyCsrf,
} from "./csrf.js";
export { describeDevice } from "./devices.js";
export { AuthBusyError, PasswordRejectedError } from "./errors.js";
export type { Guards, RecentAuthOptions } from "./guards.js";
export type { OriginCheck, OriginCheckOptions, OriginHeaders } from "./origin.js";
export { createOriginCheck } from "./origin.js";
export { createPasskeys } from "./passkeys/index.js";
export type {
  CeremonyInput,
  CeremonyOptionsJSON,
  NewAccount,
  PasskeyCredential,
  PasskeyDirectory,
  PasskeyFailure,
  PasskeyFailureReason,
  PasskeyInfo,
  PasskeyOptions,
  Passkeys,
  PasskeyUse,
} from "./passkeys/types.js";
export type { PasswordHasher, PasswordOptions, VerifyResult } from "./password.js";
export {
  createPasswordHasher,
  hashPassword,
  OWASP_ARGON2ID,
  verifyPassword,
} from "./password.js";
export type {
  LoginThrottle,
  LoginThrottleOptions,
  ThrottleDecision,
  ThrottleReservation,
} from "./throttle.js";
export { createLoginThrottle } from "./throttle.js";
export type {
  Auth,
  AuthEvent,
  AuthOptions,
  CredentialFailure,
  DeviceEntry,
  GuardResult,
  LoginInput,
  LoginResult,
  PasswordHashReason,
  RecheckResult,
  User,
  UserCredentials,
  UserDirectory,
} from "./types.js";
