/**
 * The two errors `cloakroom-sessions/auth` throws. Everything else it reports as a
 * result object (`{ ok: false, reason }`), because a wrong password or a
 * missing role is an answer, not a failure.
 */
import { CloakroomError } from "../core/errors.js";

/**
 * A password that the policy refuses when hashing (registration, change):
 * not a string, shorter than `minLength` or longer than `maxLength`.
 * Adapters answer 400. The message never contains the password.
 */
export class PasswordRejectedError extends CloakroomError {
  constructor(message: string) {
    super("PASSWORD_REJECTED", message, 400);
  }
}

/**
 * Too many password hashes are already waiting: the request is refused at
 * once rather than queued without bound (OWASP Password Storage CS: work
 * factors are a CPU-exhaustion DoS vector). Adapters answer 503.
 */
export class AuthBusyError extends CloakroomError {
  constructor(waiting: number) {
    super(
      "AUTH_BUSY",
      `password hashing is saturated (${waiting} waiting); try again shortly`,
      503,
    );
  }
}
