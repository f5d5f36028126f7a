/**
 * How and when the user of a session proved who they are, after the `amr`
 * claim of OpenID Connect (RFC 8176 §2): the methods of the sign-in that
 * started the session, and the last time each method was proved on it
 * (sign-in or step-up). Guards read it to demand a recent proof, or a recent
 * proof of one kind ("sudo mode with a passkey", ASVS 5.0 V7.5.3).
 */
import type { Session } from "../core/session.js";
import { META } from "./context.js";

/**
 * `pwd`: a password. `passkey`: a WebAuthn assertion or attestation.
 * `uv`: the authenticator verified the user (PIN, biometrics), so the
 * passkey alone was two factors (RFC 8176 has `user` for this; `uv` is the
 * WebAuthn name).
 */
export type AuthMethod = "pwd" | "passkey" | "uv";

/** What {@link authenticationOf} reads back from a session. */
export interface AuthenticationRecord {
  /** When any method was last proved on this session, ms since the epoch; null when never. */
  at: number | null;
  /** The methods of the sign-in that started this session, e.g. `["passkey", "uv"]`. */
  signIn: AuthMethod[];
  /** When each method was last proved on this session (sign-in or step-up). */
  last: Partial<Record<AuthMethod, number>>;
}

const METHODS: readonly AuthMethod[] = ["pwd", "passkey", "uv"];

/** @internal Records a proof of `methods` at `now`; `signIn` also replaces the sign-in methods. */
export function recordProof(
  session: Session,
  methods: readonly AuthMethod[],
  now: number,
  signIn: boolean,
): void {
  const last = signIn ? {} : { ...authenticationOf(session).last };
  for (const m of methods) last[m] = now;
  session.setMeta(META.authAt, now);
  session.setMeta(META.amr, last);
  if (signIn) session.setMeta(META.signInAmr, [...methods]);
}

/** How and when the session's user authenticated; empty for an anonymous session. */
export function authenticationOf(session: Session): AuthenticationRecord {
  const at = session.getMeta(META.authAt);
  const rawLast = session.getMeta(META.amr);
  const rawSignIn = session.getMeta(META.signInAmr);
  const last: Partial<Record<AuthMethod, number>> = {};
  if (rawLast !== null && typeof rawLast === "object" && !Array.isArray(rawLast)) {
    for (const m of METHODS) {
      const t = (rawLast as Record<string, unknown>)[m];
      if (typeof t === "number") last[m] = t;
    }
  }
  const signIn = Array.isArray(rawSignIn)
    ? METHODS.filter((m) => (rawSignIn as unknown[]).includes(m))
    : [];
  return { at: typeof at === "number" ? at : null, signIn, last };
}
