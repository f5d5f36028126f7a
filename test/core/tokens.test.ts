import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../src/core/errors.js";
import {
  handleOf,
  mintToken,
  signingKeys,
  storeKeyOf,
  TokenVerifier,
  verifyToken,
} from "../../src/core/token.js";

const A = "a".repeat(32);
const B = "b".repeat(32);

describe("session tokens", () => {
  it("carry 256 random bits, URL-safe, with a version prefix", async () => {
    const { token, secret } = await mintToken(signingKeys(A));
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret, "base64url")).toHaveLength(32);
  });

  it("are unique", async () => {
    const keys = signingKeys(A);
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add((await mintToken(keys)).secret);
    expect(seen.size).toBe(1000);
  });

  it("verify under the secret that signed them, and under an older one in the list", async () => {
    const { token } = await mintToken(signingKeys(A));
    expect((await verifyToken(signingKeys(A), token))?.keyIndex).toBe(0);
    expect((await verifyToken(signingKeys([B, A]), token))?.keyIndex).toBe(1);
    expect(await verifyToken(signingKeys(B), token)).toBeNull();
  });

  it("refuse any change to the token: a flipped character, a suffix, a prefix, a truncation", async () => {
    const keys = signingKeys(A);
    const { token } = await mintToken(keys);
    const flip = (s: string, i: number) =>
      s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
    for (let i = 0; i < token.length; i++) {
      if (token[i] === ".") continue;
      expect(await verifyToken(keys, flip(token, i))).toBeNull();
    }
    expect(await verifyToken(keys, `${token}x`)).toBeNull();
    expect(await verifyToken(keys, `x${token}`)).toBeNull();
    expect(await verifyToken(keys, token.slice(0, -1))).toBeNull();
    expect(await verifyToken(keys, token.replace("v1.", "v2."))).toBeNull();
  });

  it("refuse arbitrary strings without throwing", async () => {
    const keys = signingKeys(A);
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (s) => {
        expect(await verifyToken(keys, s)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it("key the store by a hash of the secret part, so re-signing keeps the record", async () => {
    const { secret } = await mintToken(signingKeys(A));
    const key = await storeKeyOf(secret);
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain(secret);
    const handle = await handleOf(key);
    expect(handle).toHaveLength(22);
    expect(handle).not.toBe(key.slice(0, 22));
  });

  it("demand secrets of at least 32 bytes", () => {
    expect(() => signingKeys("short")).toThrow(ConfigurationError);
    expect(() => signingKeys([])).toThrow(ConfigurationError);
  });

  it("verify the same from the cache: a remembered token still refuses a changed MAC", async () => {
    const keys = signingKeys([B, A]);
    const verifier = new TokenVerifier(keys, 2);
    const { token, secret } = await mintToken(signingKeys(A));
    const first = await verifier.verify(token);
    const again = await verifier.verify(token);
    expect(again).toEqual(first);
    expect(again).toMatchObject({ secret, keyIndex: 1, storeKey: await storeKeyOf(secret) });
    const forged = `${token.slice(0, -3)}${token.endsWith("AAA") ? "BBB" : "AAA"}`;
    expect(await verifier.verify(forged)).toBeNull();
    const other = signingKeys(B);
    expect(await new TokenVerifier(other).verify(token)).toBeNull();
    // Past capacity the oldest entry goes; verification still works from scratch.
    for (let i = 0; i < 3; i++) await verifier.verify((await mintToken(keys)).token);
    expect((await verifier.verify(token))?.keyIndex).toBe(1);
  });
});
