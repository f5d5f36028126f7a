/**
 * Token verification against its definition: any token, forged or genuine,
 * fresh or re-signed under another secret, cached or evicted, is accepted by
 * the caching `TokenVerifier` exactly when `verifyToken` (plain HMAC, no
 * cache) accepts it, with the same key index and the store key of its
 * secret. A tiny cache capacity makes eviction part of every sequence.
 */
import fc from "fast-check";
import { afterAll, expect, it } from "vitest";
import {
  mintToken,
  signingKeys,
  signSecret,
  storeKeyOf,
  TokenVerifier,
  verifyToken,
} from "../../src/core/token.js";
import { counted, RUNS, reportCases } from "./runs.js";

afterAll(() => reportCases("tokens"));

const current = "fuzz-current-secret-0123456789abcdef-0123456789";
const previous = "fuzz-previous-secret-0123456789abcdef-012345678";
const rotated = signingKeys([current, previous]);
const oldOnly = signingKeys([previous]);

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** One step of a browser population: which secret, signed how, altered how. */
const step = fc.record({
  secret: fc.nat({ max: 5 }),
  signer: fc.constantFrom("current", "previous"),
  mutate: fc.oneof(
    fc.constant(null),
    fc.record({ at: fc.nat({ max: 89 }), ch: fc.constantFrom(...B64, ".", "=", "%") }),
    fc.constant("truncate" as const),
    fc.constant("extend" as const),
  ),
});

type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

it("the caching verifier agrees with plain HMAC verification on any sequence", async () => {
  const secrets = await Promise.all(
    Array.from({ length: 6 }, async () => (await mintToken(rotated)).secret),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(step, { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 1, max: 4 }),
      counted(async (steps: Step[], capacity: number) => {
        const verifier = new TokenVerifier(rotated, capacity);
        for (const s of steps) {
          const secret = secrets[s.secret]!;
          let token = await signSecret(s.signer === "current" ? rotated : oldOnly, secret);
          if (s.mutate === "truncate") token = token.slice(0, -1);
          else if (s.mutate === "extend") token = `${token}A`;
          else if (s.mutate !== null) {
            const { at, ch } = s.mutate;
            token = token.slice(0, at) + ch + token.slice(at + 1);
          }
          const expected = await verifyToken(rotated, token);
          const got = await verifier.verify(token);
          if (expected === null) {
            expect(got, `forged or malformed ${token} was accepted`).toBeNull();
          } else {
            expect(got, `genuine ${token} (key ${expected.keyIndex}) was refused`).not.toBeNull();
            expect(got!.keyIndex).toBe(expected.keyIndex);
            expect(got!.secret).toBe(expected.secret);
            expect(got!.storeKey).toBe(await storeKeyOf(expected.secret));
          }
        }
      }),
    ),
    { numRuns: Math.max(50, Math.floor(RUNS / 3)) },
  );
});

it("any string is refused unless it is a token signed by one of the secrets", async () => {
  const verifier = new TokenVerifier(rotated, 16);
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.string({ maxLength: 120 }),
        fc
          .tuple(
            fc.array(fc.constantFrom(...B64), { minLength: 43, maxLength: 43 }),
            fc.array(fc.constantFrom(...B64), { minLength: 43, maxLength: 43 }),
          )
          .map(([s, m]) => `v1.${s.join("")}.${m.join("")}`),
      ),
      counted(async (text: string) => {
        expect(await verifyToken(rotated, text)).toBeNull();
        expect(await verifier.verify(text)).toBeNull();
      }),
    ),
    { numRuns: RUNS },
  );
});
