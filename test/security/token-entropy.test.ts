/**
 * Unguessable values come from the CSPRNG with at least 128 bits (ASVS 4.0.3
 * V3.2.2, V3.2.4; ASVS 5.0 V7.2.3, V11.5.1; SM-18; Flask-Session 0.6.0,
 * where a 122-bit UUID was not enough): session tokens as issued over HTTP,
 * CSRF secrets and public session handles. 1,000 of each: all distinct,
 * enough random bytes, and every bit position set about half the time.
 */

import { Client } from "cloakroom-sessions/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csrfToken } from "../../src/auth/csrf.js";
import { handleOf, mintToken, signingKeys, storeKeyOf } from "../../src/core/token.js";
import { SECRET, type SecApp, startApp } from "../support/security.js";

const N = 1000;

/** Per bit position, the share of samples with that bit set. */
function bitFrequencies(samples: Uint8Array[]): number[] {
  const bits = samples[0]!.length * 8;
  const ones = new Array<number>(bits).fill(0);
  for (const s of samples) {
    for (let i = 0; i < bits; i++) if ((s[i >> 3]! >> (7 - (i & 7))) & 1) ones[i]!++;
  }
  return ones.map((n) => n / samples.length);
}

function expectRandom(samples: Uint8Array[], minBytes: number, what: string): void {
  expect(samples[0]!.length, what).toBeGreaterThanOrEqual(minBytes);
  const distinct = new Set(samples.map((s) => Buffer.from(s).toString("hex")));
  expect(distinct.size, what).toBe(samples.length);
  // Each bit is a fair coin: its share of ones has standard deviation 0.5/√n. The bound is
  // 5 deviations (0.079 at n = 1,000): across 256 positions a false alarm has odds near 1 in
  // 7,000, while a stuck bit (0 or 1) or a 60/40 bias fails every time. The checklist's
  // ±0.05 is about 3 deviations per bit, which 256 positions would break a third of the time.
  const bound = (5 * 0.5) / Math.sqrt(samples.length);
  const freq = bitFrequencies(samples);
  const worst = Math.max(...freq.map((f) => Math.abs(f - 0.5)));
  expect(worst, `${what}: worst bit bias`).toBeLessThan(bound);
}

let app: SecApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
});

describe("entropy", () => {
  it("session tokens issued over HTTP (500 logins): 256 random bits, distinct, unbiased", async () => {
    const c = new Client(app.url);
    const randoms: Uint8Array[] = [];
    for (let i = 0; i < N / 20; i++) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, j) => c.post(`/login/u${i}-${j}`)),
      );
      for (const r of batch) {
        const random = r.cookie!.split("=")[1]!.split(".")[1]!;
        randoms.push(Buffer.from(random, "base64url"));
      }
    }
    expectRandom(randoms, 32, "session token");
  });

  it("tokens minted directly: the same, 256 bits (no counter, no time)", async () => {
    const keys = signingKeys([SECRET]);
    const randoms: Uint8Array[] = [];
    for (let i = 0; i < N; i++)
      randoms.push(Buffer.from((await mintToken(keys)).secret, "base64url"));
    expectRandom(randoms, 32, "minted token");
  });

  it("CSRF secrets (the unmasked part of each session's token): 256 bits", async () => {
    const secrets: Uint8Array[] = [];
    for (let i = 0; i < N; i++) {
      const s = await app.manager.load({ cookie: null, encrypted: false });
      const masked = Buffer.from(csrfToken(s), "base64url");
      const secret = new Uint8Array(32);
      for (let b = 0; b < 32; b++) secret[b] = masked[b]! ^ masked[32 + b]!;
      secrets.push(secret);
    }
    expectRandom(secrets, 32, "csrf secret");
  });

  it("public session handles: 132 bits of a one-way hash, distinct", async () => {
    const keys = signingKeys([SECRET]);
    const handles: Uint8Array[] = [];
    for (let i = 0; i < N; i++) {
      const { secret } = await mintToken(keys);
      // 22 base64url characters = 132 bits; the first 16 bytes are compared bit by bit.
      handles.push(
        Buffer.from(await handleOf(await storeKeyOf(secret)), "base64url").subarray(0, 16),
      );
    }
    expectRandom(handles, 16, "handle");
  });
});
