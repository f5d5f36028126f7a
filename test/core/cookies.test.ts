import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CookieSettings,
  cookieName,
  readToken,
  requestIsSecure,
  serializeClear,
  serializeToken,
} from "../../src/core/cookies.js";

const settings: CookieSettings = {
  name: "cloakroom",
  secure: "auto",
  sameSite: "lax",
  httpOnly: true,
  path: "/",
  domain: undefined,
  hostPrefix: true,
  partitioned: false,
};

describe("session cookie", () => {
  it("defaults to HttpOnly, SameSite=Lax, Path=/, no Secure over HTTP", () => {
    const c = serializeToken(settings, false, "v1.x.y", undefined);
    expect(c).toBe("cloakroom=v1.x.y; Path=/; HttpOnly; SameSite=Lax");
  });

  it("is __Host- prefixed and Secure over HTTPS", () => {
    const c = serializeToken(settings, true, "v1.x.y", 3600);
    expect(c).toMatch(
      /^__Host-cloakroom=v1\.x\.y; Max-Age=3600; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
  });

  it("drops the __Host- prefix when a Domain is configured (the prefix forbids it)", () => {
    expect(cookieName({ ...settings, domain: "example.com" }, true)).toBe("cloakroom");
  });

  it("clears with the same name, Path and Domain it was issued with", () => {
    const s = { ...settings, path: "/app", domain: "example.com" };
    const c = serializeClear(s, true);
    expect(c).toContain("cloakroom=;");
    expect(c).toContain("Path=/app");
    expect(c).toContain("Domain=example.com");
    expect(c).toContain("Max-Age=0");
  });

  it("reads the first of duplicated cookies and never throws on garbage", () => {
    expect(readToken("cloakroom=a; cloakroom=b", "cloakroom")).toBe("a");
    expect(readToken("cloakroom=%E0%A4%A", "cloakroom")).toBe("%E0%A4%A");
    expect(readToken(`cloakroom=${"x".repeat(5000)}`, "cloakroom")).toBeUndefined();
    expect(readToken(`a=${"x".repeat(20_000)}; cloakroom=v`, "cloakroom")).toBeUndefined();
    expect(readToken("cloakroomx=1", "cloakroom")).toBeUndefined();
    expect(readToken(undefined, "cloakroom")).toBeUndefined();
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (h) => {
        readToken(h, "cloakroom");
      }),
    );
  });

  it("trusts X-Forwarded-Proto only when told to, and only its first hop", () => {
    expect(requestIsSecure(false, "https", false)).toBe(false);
    expect(requestIsSecure(false, "https", true)).toBe(true);
    expect(requestIsSecure(false, "http, https", true)).toBe(false);
    expect(requestIsSecure(false, "HTTPS , http", true)).toBe(true);
    expect(requestIsSecure(true, undefined, false)).toBe(true);
  });
});
