/**
 * The scenario table: each fault test adds its row, prints the table of its
 * file when done, and appends the rows to test-results/faults/rows.jsonl,
 * from which scripts/faults-report.ts writes docs/reliability.md.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { markdownTable, type ScenarioRow } from "./table.js";
import type { WorkloadResult } from "./workload.js";

const rows: ScenarioRow[] = [];
const OUT_DIR = join(process.cwd(), "test-results", "faults");

/** Long form (`npm run test:faults`) or the short one inside `npm test`. */
export const FULL = process.env.CLOAKROOM_FAULTS === "full";

/** Seconds of load around a fault: a few in CI, more under `npm run test:faults`. */
export function seconds(short: number, full: number): number {
  return (FULL ? full : short) * 1000;
}

export function addRow(row: ScenarioRow): void {
  rows.push(row);
  mkdirSync(OUT_DIR, { recursive: true });
  appendFileSync(
    join(OUT_DIR, "rows.jsonl"),
    `${JSON.stringify({ ...row, full: FULL, at: new Date().toISOString() })}\n`,
  );
}

/** Prints this file's rows (call from afterAll). */
export function printRows(): void {
  if (rows.length === 0) return;
  const extras = rows.filter((r) => r.extra).map((r) => `  ${r.scenario}: ${r.extra}`);
  for (const r of rows)
    if (r.result.errorTimeline)
      extras.push(
        `  ${r.scenario}: errors by second after the fault: ${r.result.errorTimeline}; the fault's burst over ${r.result.burstEndMs ?? "-"} ms after it, ${r.result.lateErrors} isolated errors later, ${r.result.errorsBeforeFault} before the fault`,
      );
  console.log(`\n${markdownTable(rows)}\n${extras.join("\n")}\n`);
}

/**
 * The promise every scenario keeps: every acknowledged effect found, no
 * half-written or foreign session, no unhandled rejection.
 */
export function expectNothingLost(r: WorkloadResult, notes: string[]): void {
  expect(notes.slice(0, 20).join("\n"), "violations").toBe("");
  expect(r.violations).toEqual({
    lostField: 0,
    lostSession: 0,
    resurrected: 0,
    halfWritten: 0,
    foreign: 0,
  });
  expect(r.found).toBe(r.checked);
  expect(r.unhandledRejections).toBe(0);
  expect(r.acknowledged.writes).toBeGreaterThan(0);
}
