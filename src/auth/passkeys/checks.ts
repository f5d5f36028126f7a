/**
 * The checks of WebAuthn §7.1 / §7.2 that give a refusal its reason:
 * response shape, `clientDataJSON` (type, challenge, origin) and the fixed
 * 37-byte head of `authenticatorData` (RP ID hash, flags, counter). They run
 * before `@simplewebauthn/server`, which then checks everything again and
 * verifies the signature or attestation: the library remains the judge,
 * these only name the reason without reading its error texts.
 */
import { createHash } from "node:crypto";
import { ConfigurationError } from "../../core/errors.js";
import { failure } from "./failures.js";
import type { PasskeyFailure } from "./types.js";

const B64URL = /^[A-Za-z0-9_-]+$/;
/** Generous bounds: a credential ID is at most 1023 bytes (§5.8.3); attestations with certificate chains run to a few KB. */
const MAX_FIELD = 64 * 1024;

export interface AssertionJSON {
  id: string;
  rawId: string;
  type: "public-key";
  response: {
    clientDataJSON: string;
    authenticatorData: string;
    signature: string;
    userHandle?: string;
  };
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment?: string;
}

export interface AttestationJSON {
  id: string;
  rawId: string;
  type: "public-key";
  response: { clientDataJSON: string; attestationObject: string; transports?: string[] };
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment?: string;
}

const isB64 = (v: unknown, optional = false): boolean =>
  (optional && (v === undefined || v === null || v === "")) ||
  (typeof v === "string" && v.length <= MAX_FIELD && B64URL.test(v));

function common(v: unknown): Record<string, unknown> | null {
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  if (!isB64(o.id) || o.rawId !== o.id || o.type !== "public-key") return null;
  if (typeof o.response !== "object" || o.response === null) return null;
  return o.response as Record<string, unknown>;
}

/** The body as an assertion (`navigator.credentials.get()` → `toJSON()`), or null. */
export function asAssertion(v: unknown): AssertionJSON | null {
  const r = common(v);
  if (!r) return null;
  if (!isB64(r.clientDataJSON) || !isB64(r.authenticatorData) || !isB64(r.signature)) return null;
  if (!isB64(r.userHandle, true)) return null;
  const o = v as AssertionJSON;
  return {
    ...o,
    response: {
      clientDataJSON: r.clientDataJSON as string,
      authenticatorData: r.authenticatorData as string,
      signature: r.signature as string,
      ...(typeof r.userHandle === "string" && r.userHandle !== ""
        ? { userHandle: r.userHandle }
        : {}),
    },
    clientExtensionResults: {},
  };
}

/** The body as an attestation (`navigator.credentials.create()` → `toJSON()`), or null. */
export function asAttestation(v: unknown): AttestationJSON | null {
  const r = common(v);
  if (!r) return null;
  if (!isB64(r.clientDataJSON) || !isB64(r.attestationObject)) return null;
  const transports = Array.isArray(r.transports)
    ? r.transports.filter((t): t is string => typeof t === "string" && t.length <= 32).slice(0, 8)
    : [];
  const o = v as AttestationJSON;
  return {
    ...o,
    response: {
      clientDataJSON: r.clientDataJSON as string,
      attestationObject: r.attestationObject as string,
      transports,
    },
    clientExtensionResults: {},
  };
}

/** Checks `clientDataJSON` (§7.2 steps 10-12); null when it passes. */
export function checkClientData(
  clientDataJSON: string,
  expected: {
    type: "webauthn.create" | "webauthn.get";
    challenge: string;
    origins: ReadonlySet<string>;
    requestOrigin?: string | null | undefined;
  },
): PasskeyFailure | null {
  let data: { type?: unknown; challenge?: unknown; origin?: unknown };
  try {
    data = JSON.parse(Buffer.from(clientDataJSON, "base64url").toString("utf8"));
  } catch {
    return failure("malformed");
  }
  if (typeof data !== "object" || data === null) return failure("malformed");
  if (data.type !== expected.type) return failure("wrong-type");
  if (data.challenge !== expected.challenge) return failure("challenge-mismatch");
  if (typeof data.origin !== "string" || !expected.origins.has(data.origin))
    return failure("wrong-origin");
  if (expected.requestOrigin != null && data.origin !== expected.requestOrigin)
    return failure("wrong-origin");
  return null;
}

export interface AuthDataHead {
  userPresent: boolean;
  userVerified: boolean;
  counter: number;
}

/** Reads and checks the fixed head of authenticator data (§6.1): RP ID hash and flags. */
export function checkAuthData(
  authData: Uint8Array,
  rpIdHash: Buffer,
  requireUv: boolean,
): AuthDataHead | PasskeyFailure {
  if (authData.length < 37) return failure("malformed");
  if (!rpIdHash.equals(Buffer.from(authData.subarray(0, 32)))) return failure("wrong-rp-id");
  const flags = authData[32]!;
  const head = {
    userPresent: (flags & 0x01) !== 0,
    userVerified: (flags & 0x04) !== 0,
    counter: Buffer.from(authData.subarray(33, 37)).readUInt32BE(0),
  };
  if (!head.userPresent) return failure("bad-signature");
  if (requireUv && !head.userVerified) return failure("user-verification");
  return head;
}

export function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * Normalises the configured origins and checks the RP ID against each
 * (§5.1.4.1: the RP ID is the origin's host or a registrable suffix of it).
 * Plain http is allowed only on loopback, where browsers offer WebAuthn.
 */
export function resolveOrigins(rpID: string, origins: readonly string[]): Set<string> {
  if (!/^[a-z0-9.-]+$/.test(rpID) || rpID.startsWith(".") || rpID.endsWith(".")) {
    throw new ConfigurationError(`passkeys rpID: "${rpID}" is not a lower-case domain name`);
  }
  if (origins.length === 0) throw new ConfigurationError("passkeys: origins must not be empty");
  const out = new Set<string>();
  for (const o of origins) {
    let u: URL;
    try {
      u = new URL(o);
    } catch {
      throw new ConfigurationError(`passkeys origins: "${o}" is not a URL`);
    }
    if (u.origin !== o.replace(/\/$/, "")) {
      throw new ConfigurationError(
        `passkeys origins: "${o}" is not an origin like https://app.example.com`,
      );
    }
    const loopback = u.hostname === "localhost" || u.hostname === "127.0.0.1";
    if (u.protocol !== "https:" && !(u.protocol === "http:" && loopback)) {
      throw new ConfigurationError(
        `passkeys origins: "${o}" must be https (plain http only on localhost)`,
      );
    }
    if (u.hostname !== rpID && !u.hostname.endsWith(`.${rpID}`)) {
      throw new ConfigurationError(
        `passkeys: rpID "${rpID}" is not ${u.hostname} or a parent domain of it (WebAuthn §5.1.4.1)`,
      );
    }
    out.add(u.origin);
  }
  return out;
}
