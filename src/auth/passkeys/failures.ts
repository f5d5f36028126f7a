/** The refusals of passkey ceremonies, each with its HTTP status and a message safe to show. */
import type { PasskeyFailure, PasskeyFailureReason } from "./types.js";

const TABLE: Record<PasskeyFailureReason, [PasskeyFailure["status"], string]> = {
  malformed: [400, "That is not a passkey response."],
  "no-challenge": [400, "No passkey request is pending here, or it was already used. Try again."],
  "challenge-expired": [400, "The passkey request expired. Try again."],
  "challenge-mismatch": [400, "The passkey answered another request than this one."],
  "wrong-type": [400, "The passkey answered another kind of request."],
  "wrong-origin": [400, "The passkey was used on another site."],
  "wrong-rp-id": [400, "The passkey was made for another site."],
  "user-verification": [401, "Your device did not verify you (PIN or biometrics)."],
  "unknown-credential": [401, "This passkey is not registered here."],
  "wrong-user": [403, "This passkey belongs to another account."],
  counter: [401, "This passkey's signature counter went backwards: it may have been cloned."],
  "bad-signature": [400, "The passkey's signature does not verify."],
  duplicate: [409, "This passkey is already registered."],
  unauthenticated: [401, "Sign in first."],
  reauth: [401, "Confirm it is you first."],
  "last-method": [409, "This is the last way to sign in to the account; add another first."],
  "not-found": [404, "No such passkey on this account."],
};

const FROZEN = new Map<PasskeyFailureReason, PasskeyFailure>();

/** The (frozen, shared) failure for `reason`. */
export function failure(reason: PasskeyFailureReason): PasskeyFailure {
  let f = FROZEN.get(reason);
  if (!f) {
    const [status, message] = TABLE[reason];
    f = Object.freeze({ ok: false, reason, status, message });
    FROZEN.set(reason, f);
  }
  return f;
}

export function isFailure(v: unknown): v is PasskeyFailure {
  return typeof v === "object" && v !== null && (v as { ok?: unknown }).ok === false;
}
