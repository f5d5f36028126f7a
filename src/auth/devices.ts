/**
 * Readable device names ("Firefox on Linux") from User-Agent strings, by
 * bowser (MIT), an optional peer imported on first use. ua-parser-js 2.x is
 * AGPL-3.0, which would bind every app that ships it, so it is not used.
 */
import { importDriver } from "../util/driver.js";

type Bowser = typeof import("bowser");

const UNKNOWN = "Unknown device";
let bowser: Promise<Bowser> | undefined;

/** Names an OS the way people say it: the iPhone or iPad rather than "iOS" when bowser knows the model. */
function osName(os: string | undefined, model: string | undefined): string | undefined {
  if (os === "iOS" && (model === "iPhone" || model === "iPad")) return model;
  return os || undefined;
}

/**
 * `"<browser> on <OS>"`, just the browser or OS when only one is known, or
 * `"Unknown device"` (curl, scripts, an empty or missing header).
 * @example await describeDevice("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0") // "Firefox on Linux"
 */
export async function describeDevice(userAgent: string | null | undefined): Promise<string> {
  if (typeof userAgent !== "string" || userAgent.trim() === "") return UNKNOWN;
  bowser ??= importDriver<Bowser>("bowser", "Device names (cloakroom-sessions/auth)");
  const { parse } = await bowser;
  let parsed: ReturnType<Bowser["parse"]>;
  try {
    parsed = parse(userAgent.slice(0, 512));
  } catch {
    return UNKNOWN; // bowser throws on input it cannot read; a device name is not worth a 500
  }
  const browser = parsed.browser?.name || undefined;
  const os = osName(parsed.os?.name, parsed.platform?.model);
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? UNKNOWN;
}
