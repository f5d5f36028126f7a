/** The scenario table's columns and its Markdown form (no vitest import: scripts/faults-report.ts uses it). */
import type { WorkloadResult } from "./workload.js";

export interface ScenarioRow {
  scenario: string;
  store: string;
  seconds: number;
  result: WorkloadResult;
  /** Anything the scenario measured beyond the workload (e.g. createStore against a black hole). */
  extra?: string;
}

export const HEADER = [
  "scenario",
  "store",
  "s",
  "requests",
  "acked writes",
  "checked",
  "found",
  "lost",
  "503",
  "timeouts",
  "resets",
  "p99 fault ms",
  "recover ms",
  "unhandled",
  "lag p99 ms",
  "heap MB start→end",
];

export function cells(row: ScenarioRow): string[] {
  const r = row.result;
  const a = r.acknowledged;
  const v = r.violations;
  const lost = v.lostField + v.lostSession + v.resurrected + v.halfWritten + v.foreign;
  return [
    row.scenario,
    row.store,
    String(row.seconds),
    String(r.requests),
    String(a.writes + a.logins + a.logouts + a.revocations),
    String(r.checked),
    String(r.found),
    String(lost),
    String(r.errors["503"]),
    String(r.errors.timeout),
    String(r.errors.reset + r.errors.other),
    String(r.p99FaultMs),
    r.recoveryMs === null ? "-" : String(r.recoveryMs),
    String(r.unhandledRejections),
    String(r.loopLagP99Ms),
    `${r.heapStartMb}→${r.heapEndMb}`,
  ];
}

export function markdownTable(list: ScenarioRow[]): string {
  const lines = [`| ${HEADER.join(" | ")} |`, `|${HEADER.map(() => "---").join("|")}|`];
  for (const row of list) lines.push(`| ${cells(row).join(" | ")} |`);
  return lines.join("\n");
}
