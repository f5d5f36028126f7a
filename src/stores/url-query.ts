import { BadStoreUrlError } from "../core/errors.js";

/**
 * Refuses query parameters a store does not know, so a typo such as
 * `?keyPrefx=app:` is an error at start-up instead of a setting silently
 * ignored; suggests the closest accepted name.
 */
export function checkQuery(
  scheme: string,
  query: URLSearchParams,
  accepted: readonly string[],
): void {
  for (const name of new Set(query.keys())) {
    if (accepted.includes(name)) continue;
    const near = accepted.find((a) => distance(a.toLowerCase(), name.toLowerCase()) <= 2);
    throw new BadStoreUrlError(
      `${scheme}: unknown query parameter "${name}"${near ? ` (did you mean "${near}"?)` : ""}; accepted: ${accepted.join(", ") || "none"}`,
    );
  }
}

/** Levenshtein distance, for short parameter names. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        prev[j]! + 1,
        row[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length]!;
}
