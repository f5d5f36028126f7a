/**
 * What an app meets when it adds passkeys: the credential directory it
 * implements, the options, and the result objects. Results are
 * discriminated unions carrying the HTTP status, as everywhere in
 * `cloakroom-sessions/auth`.
 */
import type { Session } from "../../core/session.js";
import type { User } from "../types.js";

/** A stored WebAuthn credential (one passkey of one user). */
export interface PasskeyCredential {
  /** Credential ID, base64url. Unique across all users. */
  id: string;
  userId: string;
  /** The COSE public key, as verified at registration. */
  publicKey: Uint8Array;
  /** Signature counter last seen; 0 for authenticators that keep none (most synced passkeys). */
  counter: number;
  /** Transports the browser reported (`internal`, `hybrid`, `usb`…), a hint for the next sign-in. */
  transports: string[];
  /** `multiDevice`: a synced passkey; `singleDevice`: bound to one authenticator. */
  deviceType: "singleDevice" | "multiDevice";
  /** Whether the passkey is currently backed up (synced). */
  backedUp: boolean;
  /** A name the user can change, e.g. "Laptop". */
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/** What changes after each verified use of a passkey. */
export interface PasskeyUse {
  counter: number;
  backedUp: boolean;
  deviceType: "singleDevice" | "multiDevice";
  lastUsedAt: number;
}

/**
 * Where passkeys live: the app implements it next to its users (a table
 * keyed by credential ID, indexed by user). Resolves `null`/`false` for "not
 * found"; rejects only on failure.
 */
export interface PasskeyDirectory {
  /** The credential with this ID, whoever owns it. */
  find(credentialId: string): Promise<PasskeyCredential | null>;
  /** The user's passkeys, any order. */
  list(userId: string): Promise<PasskeyCredential[]>;
  /** Stores a new passkey; resolves false when the ID is already registered (nothing written). */
  add(credential: PasskeyCredential): Promise<boolean>;
  /** Records a verified use: counter, backup state, last use. */
  recordUse(credentialId: string, use: PasskeyUse): Promise<void>;
  /** Renames one of the user's passkeys; false when the user has no such passkey. */
  rename(userId: string, credentialId: string, name: string): Promise<boolean>;
  /** Removes one of the user's passkeys; false when the user has no such passkey. */
  remove(userId: string, credentialId: string): Promise<boolean>;
}

/** Options of {@link createPasskeys}. */
export interface PasskeyOptions {
  /** Where the passkeys are stored. */
  credentials: PasskeyDirectory;
  /**
   * Relying-party ID: the app's registrable domain or a parent of it, e.g.
   * `"example.com"` (WebAuthn §5.1.4.1). Checked against `origins` at start.
   */
  rpID: string;
  /** Shown by the browser while asking, e.g. `"Cloakroom demo"`. */
  rpName: string;
  /**
   * Every origin the app is served from, e.g. `["https://example.com"]`.
   * An assertion made on any other origin is refused (phishing).
   */
  origins: readonly string[];
  /**
   * `"required"` refuses an authenticator that did not verify the user (PIN,
   * biometrics); `"preferred"` accepts it and records the proof without `uv`.
   * @default "required"
   */
  userVerification?: "required" | "preferred";
  /** How long a challenge lives (ms or `"5m"`). @default "5m" */
  challengeTimeout?: number | string;
  /**
   * Adding a passkey to a signed-in account needs a recent proof (sudo
   * mode), so a stolen session cannot plant a passkey of its own.
   * @default true
   */
  addRequiresRecentAuth?: boolean;
  /**
   * Whether the user also has a password, for "the last sign-in method
   * cannot be removed". @default every user has one
   */
  hasPassword?: (userId: string) => Promise<boolean>;
}

/**
 * Why a passkey ceremony was refused. `status` is the HTTP status to send;
 * `message` is safe to show. A refused ceremony never changes who is signed
 * in, the session's token or its authentication time; its challenge is
 * spent all the same (single use).
 */
export type PasskeyFailureReason =
  /** The body is not a WebAuthn credential response. */
  | "malformed"
  /** No challenge pending for this ceremony in this session: never asked, already used, or asked by another session. */
  | "no-challenge"
  /** The pending challenge is older than `challengeTimeout`. */
  | "challenge-expired"
  /** The response signs another challenge than this session's (made for another session, or replayed). */
  | "challenge-mismatch"
  /** `clientDataJSON.type` is not the one of this ceremony. */
  | "wrong-type"
  /** Made on an origin not in `origins`, or not the origin of this request. */
  | "wrong-origin"
  /** Made for another relying-party ID. */
  | "wrong-rp-id"
  /** The authenticator did not verify the user, and `userVerification` is `"required"`. */
  | "user-verification"
  /** No such passkey is registered. */
  | "unknown-credential"
  /** The passkey belongs to another user than the one signed in (step-up) or named (user handle). */
  | "wrong-user"
  /** The signature counter did not grow: a cloned authenticator may exist (WebAuthn §6.1.1). */
  | "counter"
  /** The signature or attestation does not verify. */
  | "bad-signature"
  /** The passkey is already registered. */
  | "duplicate"
  /** The ceremony needs a signed-in user. */
  | "unauthenticated"
  /** The action needs a recent proof (sudo mode). */
  | "reauth"
  /** Removing it would leave the account without a way to sign in. */
  | "last-method"
  /** No such passkey on this account. */
  | "not-found";

export interface PasskeyFailure {
  ok: false;
  reason: PasskeyFailureReason;
  status: 400 | 401 | 403 | 404 | 409;
  message: string;
}

/** A user to create together with their first passkey (passkey-only sign-up). */
export interface NewAccount {
  /** The id the new user will have; also the WebAuthn user handle. */
  id: string;
  username: string;
}

/** One passkey as an account page shows it. */
export interface PasskeyInfo {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** True for a synced (multi-device, backed-up) passkey; false for one bound to a device. */
  synced: boolean;
  transports: string[];
}

/** JSON for `navigator.credentials.create()` / `get()` (`PublicKeyCredential.parseCreationOptionsFromJSON`). */
export interface CeremonyOptionsJSON {
  challenge: string;
  [option: string]: unknown;
}

/** Options of the `verify*` calls. */
export interface CeremonyInput {
  /** The credential response as the browser's `toJSON()` gives it (usually the parsed request body). */
  response: unknown;
  /**
   * The origin this request reached, as the adapter sees it behind a
   * trusted proxy (scheme from `X-Forwarded-Proto` only with `trustProxy`).
   * When given, the response's origin must equal it, as well as be one of
   * `origins`.
   */
  requestOrigin?: string | null;
  /** Client address, for the audit event. */
  ip?: string | null;
}

export interface Passkeys<U extends User = User> {
  /**
   * Options for adding a passkey to the signed-in user (needs sudo mode
   * unless `addRequiresRecentAuth: false`), or, with `newAccount`, for an
   * account created together with its passkey (no one may be signed in).
   */
  registrationOptions(
    session: Session,
    input?: { newAccount?: NewAccount },
  ): Promise<{ ok: true; options: CeremonyOptionsJSON } | PasskeyFailure>;
  /**
   * Verifies a registration. For a new account, `createAccount` is called
   * with it before the passkey is stored, and the session is then signed in
   * (new token, `amr` `passkey`). Audit event `passkey-added`.
   */
  verifyRegistration(
    session: Session,
    input: CeremonyInput & {
      name?: string;
      createAccount?: (account: NewAccount) => Promise<void>;
    },
  ): Promise<{ ok: true; passkey: PasskeyInfo; user: U; signedIn: boolean } | PasskeyFailure>;
  /**
   * Options for signing in with any passkey of this site (discoverable
   * credentials: no username asked). Also what a conditional-UI (autofill)
   * request uses.
   */
  signInOptions(session: Session): Promise<CeremonyOptionsJSON>;
  /** Verifies a sign-in and signs the user in exactly as a password login does: a new token. */
  signIn(
    session: Session,
    input: CeremonyInput & { remember?: boolean },
  ): Promise<{ ok: true; user: U } | PasskeyFailure>;
  /** Options for proving the signed-in user again with one of their passkeys (sudo mode). */
  stepUpOptions(
    session: Session,
  ): Promise<{ ok: true; options: CeremonyOptionsJSON } | PasskeyFailure>;
  /**
   * Verifies a step-up: the session's authentication time moves to now and
   * its `amr` gains `passkey` (and `uv`). The token, data and other sessions
   * are untouched.
   */
  stepUp(session: Session, input: CeremonyInput): Promise<{ ok: true; user: U } | PasskeyFailure>;
  /** The signed-in user's passkeys, most recently created first. */
  list(session: Session): Promise<PasskeyInfo[]>;
  /** Renames one of the signed-in user's passkeys. */
  rename(
    session: Session,
    credentialId: unknown,
    name: unknown,
  ): Promise<{ ok: true } | PasskeyFailure>;
  /**
   * Removes one of the signed-in user's passkeys: needs sudo mode, and
   * refuses the last way to sign in. Audit event `passkey-removed`.
   */
  remove(session: Session, credentialId: unknown): Promise<{ ok: true } | PasskeyFailure>;
}
