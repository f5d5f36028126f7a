import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";

/**
 * How many cases each property runs: a few hundred inside `npm test`, many
 * more under `npm run test:fuzz:long` (CLOAKROOM_FUZZ_RUNS), which runs the
 * pure-function properties to well over a million cases in all.
 */
export const RUNS = Number(process.env.CLOAKROOM_FUZZ_RUNS ?? 300);

/** Store properties talk to servers: a tenth of the runs, at least 30. */
export const STORE_RUNS = Math.max(30, Math.floor(RUNS / 10));

let total = 0;
/** Counts cases actually run, for the long run's report line. */
export function counted<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return (...args: A) => {
    total++;
    return fn(...args);
  };
}

export function casesRun(): number {
  return total;
}

/** Prints and records this file's case count (call from afterAll). */
export function reportCases(file: string): void {
  const n = casesRun();
  console.log(`fuzz ${file}: ${n} cases`);
  mkdirSync(join(process.cwd(), "test-results", "fuzz"), { recursive: true });
  appendFileSync(
    join(process.cwd(), "test-results", "fuzz", "counts.jsonl"),
    `${JSON.stringify({ file, cases: n, runs: RUNS, at: new Date().toISOString() })}\n`,
  );
}

/**
 * `fc.assert` of a synchronous property in slices of at most 5,000 runs,
 * yielding between them: a long run must not block the worker's event loop
 * for minutes (vitest's RPC to the worker times out).
 */
export async function assertRuns<Ts>(property: fc.IProperty<Ts>, numRuns: number): Promise<void> {
  for (let done = 0; done < numRuns; done += 5000) {
    fc.assert(property, { numRuns: Math.min(5000, numRuns - done) });
    await new Promise((r) => setImmediate(r));
  }
}
