/**
 * Passwords: OWASP argon2id parameters in the PHC string, unique salts,
 * rehash detection, length limits before any work, NFC normalisation, a
 * bounded hashing queue, and unknown users costing what wrong passwords cost.
 */
import { describe, expect, it } from "vitest";
import {
  AuthBusyError,
  createPasswordHasher,
  hashPassword,
  PasswordRejectedError,
  verifyPassword,
} from "../../src/auth/index.js";
import { memoryApp } from "../support/auth-fixture.js";

describe("password hashing", () => {
  it("uses argon2id with m=19456 KiB, t=2, p=1 by default, with a unique salt per hash", async () => {
    const a = await hashPassword("correct horse battery");
    const b = await hashPassword("correct horse battery");
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword(a, "correct horse battery")).toEqual({
      ok: true,
      needsRehash: false,
    });
    expect(await verifyPassword(a, "correct horse batterY")).toEqual({
      ok: false,
      needsRehash: false,
    });
  });

  it("verifies exactly what was typed: no truncation, no case folding, no trimming", async () => {
    const h = createPasswordHasher({ memoryCost: 1024, timeCost: 1 });
    const long = "p".repeat(100);
    const stored = await h.hash(long);
    for (const wrong of [long.slice(0, 72), long.toUpperCase(), `${long} `]) {
      expect((await h.verify(stored, wrong)).ok).toBe(false);
    }
    expect((await h.verify(stored, long)).ok).toBe(true);
  });

  it("normalises to NFC at both ends, and accepts any Unicode, NUL included", async () => {
    const h = createPasswordHasher({ memoryCost: 1024, timeCost: 1 });
    const stored = await h.hash("p\u00e4ssw\u00f6rd \u{1f511} with spaces");
    expect((await h.verify(stored, "pa\u0308ssw\u00f6rd \u{1f511} with spaces")).ok).toBe(true);
    const nul = await h.hash("nul\u0000inside!");
    expect((await h.verify(nul, "nul\u0000inside!")).ok).toBe(true);
    expect((await h.verify(nul, "nul")).ok).toBe(false);
  });

  it("flags hashes made with other parameters or another variant for rehash", async () => {
    const current = createPasswordHasher({ memoryCost: 2048, timeCost: 2 });
    const old = await createPasswordHasher({ memoryCost: 1024, timeCost: 1 }).hash("correct horse");
    expect(await current.verify(old, "correct horse")).toEqual({ ok: true, needsRehash: true });
    expect(await current.verify(old, "wrong horse")).toEqual({ ok: false, needsRehash: false });
    expect(current.needsRehash(await current.hash("correct horse"))).toBe(false);
    expect(current.needsRehash("$argon2i$v=19$m=2048,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA")).toBe(true);
    expect(current.needsRehash("$2b$10$abcdefghijklmnopqrstuu")).toBe(true);
  });

  it("refuses out-of-policy passwords before hashing, without echoing them", async () => {
    const h = createPasswordHasher({ memoryCost: 1024, timeCost: 1 });
    const huge = "s3cret".repeat(200_000);
    const t0 = performance.now();
    await expect(h.hash(huge)).rejects.toBeInstanceOf(PasswordRejectedError);
    expect(await h.verify(await h.hash("long enough"), huge)).toEqual({
      ok: false,
      needsRehash: false,
    });
    expect(performance.now() - t0).toBeLessThan(500);
    await expect(h.hash("short")).rejects.toThrow(/at least 8 characters/);
    await expect(h.hash(42)).rejects.toBeInstanceOf(PasswordRejectedError);
    const err = await h.hash("tiny").catch((e: unknown) => e as Error);
    expect(String((err as Error).message)).not.toContain("tiny");
    expect(await h.hash("x".repeat(1024))).toMatch(/^\$argon2id\$/);
  });

  it("treats a malformed stored hash as a failed verification", async () => {
    const h = createPasswordHasher({ memoryCost: 1024, timeCost: 1 });
    for (const bad of ["", "plaintext", "$argon2id$v=19$m=1024,t=1,p=1$!!$!!"]) {
      expect(await h.verify(bad, "whatever password")).toEqual({ ok: false, needsRehash: false });
    }
  });

  it("bounds the hashing queue: past it, AuthBusyError (503) at once", async () => {
    const h = createPasswordHasher({
      memoryCost: 1024,
      timeCost: 1,
      maxConcurrent: 1,
      maxQueue: 2,
    });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => h.hash("correct horse")),
    );
    const busy = results.filter((r) => r.status === "rejected");
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    expect(busy).toHaveLength(3);
    for (const r of busy) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(AuthBusyError);
      expect((r as PromiseRejectedResult).reason.status).toBe(503);
    }
  });
});

/** Median login time for each name in `names` (a wrong password each time, interleaved rounds). */
async function loginMedians(app: ReturnType<typeof memoryApp>, names: readonly string[]) {
  const s = await app.open();
  const times = names.map(() => [] as number[]);
  const time = async (username: string) => {
    const t0 = performance.now();
    const r = await app.auth.login(s, { username, password: "wrong horse battery" });
    expect(r).toEqual({ ok: false, reason: "invalid" });
    return performance.now() - t0;
  };
  await time("nobody"); // computes the dummy hash once
  for (let i = 0; i < 12; i++)
    for (const [k, name] of names.entries()) times[k]!.push(await time(name));
  return times.map((xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
}

describe("unknown user versus wrong password", () => {
  it("an account without a password (passkey-only: empty hash; or an unreadable one) costs what a wrong password costs", async () => {
    const app = memoryApp({ throttle: false, password: {} });
    await app.users.add("alice", "", [], await app.auth.hasher.hash("correct horse battery"));
    await app.users.add("passkey-only", "", [], "");
    await app.users.add("disabled", "", [], "!disabled");
    const [wrong, passkeyOnly, disabled] = await loginMedians(app, [
      "alice",
      "passkey-only",
      "disabled",
    ]);
    console.info(
      `login timing: wrong password ${wrong!.toFixed(1)} ms, passkey-only ${passkeyOnly!.toFixed(1)} ms, unreadable hash ${disabled!.toFixed(1)} ms`,
    );
    expect(wrong).toBeGreaterThan(5); // the real cost is being paid
    for (const other of [passkeyOnly!, disabled!]) {
      expect(other / wrong!).toBeGreaterThan(0.5);
      expect(other / wrong!).toBeLessThan(2);
    }
  });

  it("costs the same time (medians within 0.5–2×) with the real OWASP parameters", async () => {
    const app = memoryApp({ throttle: false, password: {} });
    await app.users.add("alice", "", [], await app.auth.hasher.hash("correct horse battery"));
    const s = await app.open();
    const time = async (username: string) => {
      const t0 = performance.now();
      const r = await app.auth.login(s, { username, password: "wrong horse battery" });
      expect(r).toEqual({ ok: false, reason: "invalid" });
      return performance.now() - t0;
    };
    await time("nobody"); // computes the dummy hash once
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 12; i++) {
      known.push(await time("alice"));
      unknown.push(await time(`nobody${i}`));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const ratio = median(unknown) / median(known);
    console.info(
      `login timing: wrong password median ${median(known).toFixed(1)} ms, unknown user ${median(unknown).toFixed(1)} ms, ratio ${ratio.toFixed(2)}`,
    );
    expect(median(known)).toBeGreaterThan(5); // the real cost is being paid
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});
