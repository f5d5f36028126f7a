/**
 * Every error Cloakroom throws is a {@link CloakroomError} with a stable
 * `code`, so callers branch on `err.code`, never on message text.
 */
export type CloakroomErrorCode =
  | "STORE_UNAVAILABLE"
  | "SESSION_TOO_LARGE"
  | "SESSION_DATA_INVALID"
  | "BAD_STORE_URL"
  | "BAD_CONFIGURATION"
  | "MISSING_DRIVER"
  | "SESSION_STATE"
  | "PASSWORD_REJECTED"
  | "AUTH_BUSY";

/** Base class: a stable `code`, an HTTP `status` adapters may use, and the original `cause`. */
export class CloakroomError extends Error {
  readonly code: CloakroomErrorCode;
  /** The HTTP status an adapter answers with when this error escapes a request. */
  readonly status: number;

  constructor(
    code: CloakroomErrorCode,
    message: string,
    status = 500,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** The store could not be reached or did not answer in time. Adapters answer 503. */
export class StoreUnavailableError extends CloakroomError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("STORE_UNAVAILABLE", message, 503, options);
  }
}

/** A write would take the session past its size limit; the stored session is unchanged. Adapters answer 413. */
export class SessionTooLargeError extends CloakroomError {
  readonly limit: number;
  readonly size: number;
  constructor(size: number, limit: number) {
    super(
      "SESSION_TOO_LARGE",
      `session would be ${size} bytes, over the limit of ${limit} bytes; nothing was written`,
      413,
    );
    this.size = size;
    this.limit = limit;
  }
}

/** A value given to `session.set()` is not JSON-safe, or a key is reserved. */
export class SessionDataError extends CloakroomError {
  constructor(message: string) {
    super("SESSION_DATA_INVALID", message, 500);
  }
}

/** A store URL that no backend accepts. The message lists the accepted schemes. */
export class BadStoreUrlError extends CloakroomError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("BAD_STORE_URL", message, 500, options);
  }
}

/** An option that cannot work (an empty secret list, a negative timeout…). Thrown at startup. */
export class ConfigurationError extends CloakroomError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("BAD_CONFIGURATION", message, 500, options);
  }
}

/** An optional peer dependency is needed for this store or adapter but is not installed. */
export class MissingDriverError extends CloakroomError {
  readonly packageName: string;
  constructor(packageName: string, purpose: string, options?: { cause?: unknown }) {
    super(
      "MISSING_DRIVER",
      `${purpose} needs the "${packageName}" package: npm install ${packageName}`,
      500,
      options,
    );
    this.packageName = packageName;
  }
}

/**
 * A store was asked to write under something that is not a store key, or a
 * file store path would leave its directory. The manager only passes keys it
 * derived itself, so this is a bug in the caller (another store wrapping this
 * one, a script), never a visitor's input: a malformed cookie is "no
 * session", not this error.
 */
export class SessionStateError extends CloakroomError {
  constructor(message: string) {
    super("SESSION_STATE", message, 500);
  }
}

/** True for any Cloakroom error; narrows to the class carrying `code`. */
export function isCloakroomError(err: unknown): err is CloakroomError {
  return err instanceof CloakroomError;
}
