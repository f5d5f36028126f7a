/**
 * Cloakroom core: server-side sessions that know no framework and no backend.
 * Adapters live in `cloakroom-sessions/express`, `/fastify`, `/hono` and `/web`;
 * stores in `cloakroom-sessions/stores/<name>` or through {@link createStore}.
 */

export { encodedSize } from "./core/codec.js";
export { requestIsSecure } from "./core/cookies.js";
export { type Duration, parseDuration } from "./core/duration.js";
export type { CloakroomErrorCode } from "./core/errors.js";
export {
  BadStoreUrlError,
  CloakroomError,
  ConfigurationError,
  isCloakroomError,
  MissingDriverError,
  SessionDataError,
  SessionStateError,
  SessionTooLargeError,
  StoreUnavailableError,
} from "./core/errors.js";
export type {
  Identified,
  Listener,
  RevokeReason,
  SessionEventMap,
  SessionEventName,
  SessionEvents,
} from "./core/events.js";
export type { JsonObject, JsonPrimitive, JsonValue, ReadonlyJsonValue } from "./core/json.js";
export type { LegacyResult, LegacySession, LegacySessions } from "./core/legacy.js";
export type { CommitOutcome, DeviceSession } from "./core/manager.js";
export { createSessions, SessionManager } from "./core/manager.js";
export type { Logger, SessionOptions } from "./core/options.js";
export type {
  DeclaredKey,
  ReadonlyJson,
  RequestInfo,
  RotateOptions,
  SessionData,
  ValueFor,
} from "./core/session.js";
export { Session } from "./core/session.js";
export type {
  MigrationResult,
  PatchResult,
  PurgeOptions,
  RotateResult,
  SessionPatch,
  SessionStore,
  SessionSummary,
  StoreCapabilities,
  StoredSession,
  StoreStats,
} from "./core/store.js";
export { guardStore, hasNativeTtl, isAlive, isStoreKey, storeFailure } from "./core/store.js";
export type { StoreOptionsFor, StoreUrlOptions } from "./stores/create-store.js";
export { createStore, redact, STORE_SCHEMES } from "./stores/create-store.js";
export { type RecordChange, WholeRecordStore } from "./stores/shared/whole-record.js";
