/**
 * The same-origin check refuses cross-site state changes by Fetch Metadata,
 * then exact Origin, then exact Referer, and blocks when all are missing
 * unless told otherwise.
 */
import { describe, expect, it } from "vitest";
import { createOriginCheck } from "../../src/auth/index.js";
import { ConfigurationError } from "../../src/core/errors.js";

const check = createOriginCheck({ allowedOrigins: ["https://app.test"] });
const ok = { ok: true };
const cross = { ok: false, status: 403, reason: "cross-origin" };

describe("createOriginCheck", () => {
  it("lets safe methods through whatever the headers", () => {
    expect(
      check({ method: "GET", origin: "https://evil.test", secFetchSite: "cross-site" }),
    ).toEqual(ok);
  });

  it("uses Sec-Fetch-Site first: only same-origin (or a user-typed none) passes", () => {
    expect(
      check({ method: "POST", secFetchSite: "same-origin", origin: "https://evil.test" }),
    ).toEqual(ok);
    expect(
      check({ method: "POST", secFetchSite: "cross-site", origin: "https://app.test" }),
    ).toEqual(cross);
    expect(check({ method: "POST", secFetchSite: "same-site" })).toEqual(cross);
    expect(check({ method: "DELETE", secFetchSite: "none" })).toEqual(ok);
  });

  it("matches Origin exactly: look-alikes, other schemes, ports and null are refused", () => {
    expect(check({ method: "POST", origin: "https://app.test" })).toEqual(ok);
    for (const origin of [
      "https://app.test.evil.test",
      "https://evil.test",
      "http://app.test",
      "https://app.test:8443",
      "https://sub.app.test",
      "null",
      "garbage",
    ]) {
      expect(check({ method: "POST", origin })).toEqual(cross);
    }
  });

  it("falls back to the Referer's origin, exactly", () => {
    expect(check({ method: "PUT", referer: "https://app.test/settings?x=1" })).toEqual(ok);
    expect(check({ method: "PUT", referer: "https://app.test.evil.test/x" })).toEqual(cross);
  });

  it("blocks a state change with no origin information, unless allowed", () => {
    expect(check({ method: "POST" })).toEqual(cross);
    const lenient = createOriginCheck({
      allowedOrigins: ["https://app.test"],
      whenNoHeaders: "allow",
    });
    expect(lenient({ method: "POST" })).toEqual(ok);
    expect(lenient({ method: "POST", origin: "https://evil.test" })).toEqual(cross);
  });

  it("refuses configured origins that are not bare origins", () => {
    expect(() => createOriginCheck({ allowedOrigins: ["https://app.test/path"] })).toThrow(
      ConfigurationError,
    );
    expect(() => createOriginCheck({ allowedOrigins: ["*.app.test"] })).toThrow(ConfigurationError);
  });
});
