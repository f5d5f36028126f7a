/**
 * WebAuthn challenges: one pending per session, stored on the session as
 * library metadata (`$webauthn`), so a challenge is bound to the session
 * that asked for it — another session, with its own record, can never
 * present it. Each is taken with the store's atomic compare-and-delete
 * (`SessionManager.consumeMeta`) BEFORE the response is checked: of two
 * racing verifications of one challenge exactly one gets it, on any number
 * of servers, and a failed attempt spends it too (WebAuthn §13.4.3:
 * challenges are single-use).
 */
import { randomBytes } from "node:crypto";
import type { SessionManager } from "../../core/manager.js";
import type { Session } from "../../core/session.js";
import { META } from "../context.js";
import { failure } from "./failures.js";
import type { NewAccount, PasskeyFailure } from "./types.js";

export type Purpose = "register" | "sign-in" | "step-up";

/** What the session holds while a ceremony is pending. */
export interface PendingChallenge {
  /** The ceremony it was issued for. */
  p: Purpose;
  /** The challenge, base64url (32 random bytes: WebAuthn asks for at least 16). */
  c: string;
  /** Expiry, ms since the epoch. */
  e: number;
  /** The signed-in user it was issued to (register, step-up), else null. */
  u: string | null;
  /** A passkey-only sign-up: the account to create. */
  n?: NewAccount;
}

/** Issues a challenge for `purpose`, replacing any pending one; written at the request's commit. */
export function issueChallenge(
  session: Session,
  purpose: Purpose,
  now: number,
  timeout: number,
  extra: { userId?: string | null; newAccount?: NewAccount } = {},
): string {
  const c = randomBytes(32).toString("base64url");
  const pending: PendingChallenge = { p: purpose, c, e: now + timeout, u: extra.userId ?? null };
  if (extra.newAccount) pending.n = extra.newAccount;
  session.setMeta(META.webauthn, JSON.stringify(pending));
  return c;
}

/**
 * Takes this session's pending challenge for `purpose`, atomically; a
 * failure when there is none, another request took it first, it was for
 * another ceremony or user, or it expired.
 */
export async function takeChallenge(
  sessions: SessionManager,
  session: Session,
  purpose: Purpose,
  now: number,
): Promise<PendingChallenge | PasskeyFailure> {
  const raw = session.getMeta(META.webauthn);
  if (typeof raw !== "string") return failure("no-challenge");
  if (!(await sessions.consumeMeta(session, META.webauthn, raw))) return failure("no-challenge");
  const pending = parse(raw);
  if (pending === null || pending.p !== purpose) return failure("no-challenge");
  if (pending.u !== null && pending.u !== session.userId) return failure("no-challenge");
  if (now > pending.e) return failure("challenge-expired");
  return pending;
}

function parse(raw: string): PendingChallenge | null {
  try {
    const v = JSON.parse(raw) as PendingChallenge;
    return typeof v?.c === "string" && typeof v.e === "number" ? v : null;
  } catch {
    return null;
  }
}
