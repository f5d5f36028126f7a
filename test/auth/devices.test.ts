/** Device names come out readable for real user agents, and never throw. */
import { describe, expect, it } from "vitest";
import { describeDevice } from "../../src/auth/index.js";
import { UA } from "../support/auth-fixture.js";

describe("describeDevice", () => {
  it.each([
    [UA.firefoxLinux, "Firefox on Linux"],
    [UA.safariIphone, "Safari on iPhone"],
    [UA.chromeWindows, "Chrome on Windows"],
    [
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
      "Microsoft Edge on macOS",
    ],
    [
      "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
      "Chrome on Android",
    ],
    [UA.curl, "Unknown device"],
    ["", "Unknown device"],
    ["   ", "Unknown device"],
    [null, "Unknown device"],
    [undefined, "Unknown device"],
    ["\u0000\uffff".repeat(400), "Unknown device"],
  ])("%s → %s", async (ua, expected) => {
    expect(await describeDevice(ua)).toBe(expected);
  });
});
