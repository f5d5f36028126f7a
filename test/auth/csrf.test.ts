/**
 * CSRF tokens are bound to their session, masked per call (BREACH), and
 * refused when missing, empty, foreign, tampered or badly typed.
 */
import { describe, expect, it } from "vitest";
import { checkCsrf, csrfToken, isStateChanging, verifyCsrf } from "../../src/auth/index.js";
import { memoryApp } from "../support/auth-fixture.js";

describe("CSRF synchronizer token", () => {
  it("verifies its own token; each call gives a different token for the same secret", async () => {
    const app = memoryApp();
    const s = await app.open();
    const tokens = Array.from({ length: 20 }, () => csrfToken(s));
    expect(new Set(tokens).size).toBe(20);
    for (const t of tokens) {
      expect(t).toMatch(/^[A-Za-z0-9_-]{86}$/);
      expect(verifyCsrf(s, t)).toBe(true);
    }
  });

  it("survives the round trip through the store, and lives in no cookie of its own", async () => {
    const app = memoryApp();
    const s = await app.open();
    const t = csrfToken(s);
    const { cookie, setCookie } = await app.finish(s);
    expect(setCookie).not.toContain(t);
    const next = await app.open(cookie);
    expect(verifyCsrf(next, t)).toBe(true);
    expect(next.keys()).toEqual([]); // metadata, not app data
  });

  it("refuses another session's token", async () => {
    const app = memoryApp();
    const a = await app.open();
    const b = await app.open();
    const ta = csrfToken(a);
    csrfToken(b);
    expect(verifyCsrf(b, ta)).toBe(false);
  });

  it("refuses tampered, truncated, empty, missing and non-string tokens", async () => {
    const app = memoryApp();
    const s = await app.open();
    const t = csrfToken(s);
    const flip = (i: number) => t.slice(0, i) + (t[i] === "A" ? "B" : "A") + t.slice(i + 1);
    for (const bad of [
      flip(0),
      flip(50),
      flip(85),
      t.slice(1),
      `${t}A`,
      "",
      undefined,
      null,
      [t],
      { t },
    ]) {
      expect(verifyCsrf(s, bad)).toBe(false);
    }
  });

  it("refuses everything when the session has no secret yet", async () => {
    const app = memoryApp();
    const other = await app.open();
    const t = csrfToken(other);
    expect(verifyCsrf(await app.open(), t)).toBe(false);
  });

  it("a new session after logout does not accept the old token", async () => {
    const app = memoryApp();
    const s = await app.open();
    const t = csrfToken(s);
    const { cookie } = await app.finish(s);
    const again = await app.open(cookie);
    await app.auth.logout(again);
    await app.finish(again, cookie);
    const anon = await app.open(cookie);
    expect(verifyCsrf(anon, t)).toBe(false);
  });

  it("checks every state-changing method; safe ones pass without a token", async () => {
    const app = memoryApp();
    const s = await app.open();
    const t = csrfToken(s);
    for (const m of ["GET", "head", "OPTIONS"]) {
      expect(isStateChanging(m)).toBe(false);
      expect(checkCsrf(s, m, undefined)).toEqual({ ok: true });
    }
    for (const m of ["POST", "put", "DELETE", "PATCH", "PROPFIND"]) {
      expect(isStateChanging(m)).toBe(true);
      expect(checkCsrf(s, m, undefined)).toEqual({ ok: false, status: 403, reason: "csrf" });
      expect(checkCsrf(s, m, t)).toEqual({ ok: true });
    }
  });
});
