/**
 * A software WebAuthn authenticator for protocol tests: real P-256 keys
 * (node:crypto), hand-built authenticator data and clientDataJSON, "none"
 * attestation (CBOR through @simplewebauthn's own encoder, never hand-rolled).
 * Every field a relying party checks can be bent per call — origin, RP ID,
 * challenge, type, the UV flag, the counter, the user handle — so each
 * refusal can be provoked on purpose with no browser.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";

const b64 = (b: Uint8Array | string) => Buffer.from(b).toString("base64url");
const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest();

interface Key {
  id: string;
  privateKey: KeyObject;
  cose: Uint8Array;
  userHandle: string;
  counter: number;
  rpId: string;
}

export interface Bend {
  origin?: string;
  rpId?: string;
  challenge?: string;
  type?: string;
  uv?: boolean;
  /** Counter to report instead of the next one. */
  counter?: number;
  userHandle?: string | null;
  /** Sign with this credential instead of the first. */
  credentialId?: string;
  /** Flip a byte of the signature. */
  badSignature?: boolean;
}

export class SoftAuthenticator {
  readonly keys = new Map<string, Key>();
  readonly origin: string;
  /** Counters grow by this per use; 0 mimics a synced passkey that keeps none. */
  readonly step: number;

  constructor(origin: string, options: { counterStep?: number } = {}) {
    this.origin = origin;
    this.step = options.counterStep ?? 1;
  }

  /** `navigator.credentials.create()` on these options, as `toJSON()` sends it. */
  create(
    options: { challenge: string; rp: { id?: string }; user: { id: string } },
    bend: Bend = {},
  ) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x!, "base64url")],
        [-3, Buffer.from(jwk.y!, "base64url")],
      ]),
    );
    const credId = randomBytes(16);
    const id = b64(credId);
    const rpId = bend.rpId ?? options.rp.id!;
    const counter = bend.counter ?? 0;
    const idLen = Buffer.alloc(2);
    idLen.writeUInt16BE(credId.length);
    const authData = Buffer.concat([
      this.#head(rpId, bend.uv ?? true, true, counter),
      Buffer.alloc(16), // AAGUID: none
      idLen,
      credId,
      cose,
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", new Uint8Array(authData)],
      ]) as never,
    );
    this.keys.set(id, {
      id,
      privateKey,
      cose,
      userHandle: options.user.id,
      counter,
      rpId: options.rp.id!,
    });
    return {
      id,
      rawId: id,
      type: "public-key",
      response: {
        clientDataJSON: this.#clientData("webauthn.create", options.challenge, bend),
        attestationObject: b64(attestationObject),
        transports: ["internal"],
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  /** `navigator.credentials.get()` on these options, as `toJSON()` sends it. */
  get(options: { challenge: string; rpId?: string }, bend: Bend = {}) {
    const key = bend.credentialId
      ? this.keys.get(bend.credentialId)
      : this.keys.values().next().value;
    if (!key) throw new Error("soft authenticator: no such credential");
    key.counter = bend.counter ?? key.counter + this.step;
    const authData = this.#head(
      bend.rpId ?? options.rpId ?? key.rpId,
      bend.uv ?? true,
      false,
      key.counter,
    );
    const clientDataJSON = this.#clientData("webauthn.get", options.challenge, bend);
    const signed = Buffer.concat([authData, sha(Buffer.from(clientDataJSON, "base64url"))]);
    const signature = sign("sha256", signed, key.privateKey); // DER, as WebAuthn ES256 wants
    if (bend.badSignature) signature[signature.length - 1]! ^= 0x01;
    const userHandle = bend.userHandle === undefined ? key.userHandle : bend.userHandle;
    return {
      id: key.id,
      rawId: key.id,
      type: "public-key",
      response: {
        clientDataJSON,
        authenticatorData: b64(authData),
        signature: b64(signature),
        ...(userHandle === null ? {} : { userHandle }),
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  #head(rpId: string, uv: boolean, attested: boolean, counter: number): Buffer {
    const flags = 0x01 | (uv ? 0x04 : 0) | (attested ? 0x40 : 0);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    return Buffer.concat([sha(rpId), Buffer.from([flags]), c]);
  }

  #clientData(type: string, challenge: string, bend: Bend): string {
    return b64(
      JSON.stringify({
        type: bend.type ?? type,
        challenge: bend.challenge ?? challenge,
        origin: bend.origin ?? this.origin,
        crossOrigin: false,
      }),
    );
  }
}
