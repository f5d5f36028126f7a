import { ConfigurationError } from "./errors.js";

/**
 * A span of time: milliseconds as a number, or a number with a unit —
 * `"1500ms"`, `"90s"`, `"30m"`, `"12h"`, `"7d"`. A string read from the
 * environment is a plain `string`: pass it through {@link parseDuration},
 * which checks it at run time.
 */
export type Duration = number | `${number}${"ms" | "s" | "m" | "h" | "d"}`;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds from a number (already ms) or a string such as `"90s"`,
 * `"30m"`, `"12h"`, `"7d"`, `"1500ms"`.
 * @example parseDuration("30m") // 1_800_000
 */
export function parseDuration(value: Duration | string, name = "duration"): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0)
      throw new ConfigurationError(`${name}: ${value} is not a duration`);
    return value;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
  if (!m) {
    throw new ConfigurationError(
      `${name}: "${value}" is not a duration; write e.g. 90s, 30m, 12h or 7d`,
    );
  }
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}
