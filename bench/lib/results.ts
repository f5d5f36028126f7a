/**
 * The shape of `bench/results/latest.json`, and how runs become results.
 * The issue fixes the first fields (`scenario` … `keys_kept_of_50`) so
 * scripts can compare runs; the rest are extras (min/max, CPU, reads/writes).
 */
import type { LoadResult } from "./load.js";
import { ceilingOf, type Scenario } from "./scenarios.js";
import { max, median, min, round } from "./stats.js";

export type Route = "read" | "write";

/** One measured load run of one scenario and route. */
export interface Run extends LoadResult {
  cpu_us_per_req: number;
  /** Bytes the server allocated per request (V8's --trace-gc-nvp `allocated`, summed over the run's collections). */
  alloc_bytes_per_req: number | null;
  /**
   * Main-thread GC pauses per request, µs of wall-clock time as V8 reports them:
   * on a loaded machine the process is also descheduled inside a pause, so
   * compare scenarios of one run, not runs.
   */
  gc_pause_us_per_req: number | null;
  /** The machine's 1-minute load average when the run ended (`uptime`). */
  load1: number;
  store_reads_per_req: number | null;
  store_writes_per_req: number | null;
  /** Store commands of this run by name (Redis) or kind (SQL statements), per request. */
  store_commands?: Record<string, number>;
}

export interface Result {
  scenario: string;
  route: Route;
  rps: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  errors: number | null;
  store_cmds_per_req: number | null;
  bytes_per_session: number | null;
  keys_kept_of_50: number | null;
  available: boolean;
  note?: string;
  ours: boolean;
  framework: string;
  backend: string;
  ceiling: string;
  pairing: string | null;
  rounds: number;
  rps_min: number | null;
  rps_max: number | null;
  p50_ms_min: number | null;
  p50_ms_max: number | null;
  p99_ms_min: number | null;
  p99_ms_max: number | null;
  requests: number | null;
  cpu_us_per_req: number | null;
  /** Median bytes allocated per request in the server. */
  alloc_bytes_per_req: number | null;
  /** Median GC pause per request (µs, wall clock). */
  gc_pause_us_per_req: number | null;
  /** 1-minute load average at the end of each round's run: lowest and highest. */
  load1_min: number | null;
  load1_max: number | null;
  /** Node CPU per request minus the same framework's hello: what the session layer costs. */
  cpu_us_over_hello: number | null;
  store_reads_per_req: number | null;
  store_writes_per_req: number | null;
  ratio_to_ceiling: number | null;
  ratio_to_pairing: number | null;
  /** Per request, by command, from the last round. */
  store_commands?: Record<string, number>;
  /** Where `bytes_per_session` was read: the Redis keys or SQL tables. */
  bytes_detail?: string;
}

export interface ScaleResult {
  backend: "redis" | "postgres";
  layout: string;
  sessions: number;
  samples: number;
  p50_ms: number | null;
  p99_ms: number | null;
  note?: string;
}

export interface BenchFile {
  machine: Record<string, unknown>;
  results: Result[];
  scale: ScaleResult[];
  /** Throughput goals measured again in alternating short runs of the two scenarios. */
  paired?: PairedRatio[];
  goals: Goal[];
}

/** One goal's ratio measured pair by pair: ours then theirs, theirs then ours, seconds apart. */
export interface PairedRatio {
  ours: string;
  theirs: string;
  route: Route;
  seconds_per_run: number;
  /** ours / theirs, one per pair. */
  ratios: number[];
  median: number;
}

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  status: "PASS" | "MISS" | "N/A";
  note?: string;
}

export interface ScenarioFacts {
  scenario: Scenario;
  available: boolean;
  note?: string;
  bytes: number | null;
  bytesDetail?: string;
  keysKept: number | null;
  runs: Record<Route, Run[]>;
}

/** The median of the values that were measured, or null when none was. */
function medianOf(xs: (number | null)[], digits: number): number | null {
  const ok = xs.filter((x): x is number => x !== null);
  return ok.length > 0 ? round(median(ok), digits) : null;
}

/** Medians over rounds, then ratios and CPU deltas against ceiling and pairing. */
export function summarize(facts: readonly ScenarioFacts[]): Result[] {
  const base: Result[] = [];
  for (const f of facts) {
    for (const route of ["read", "write"] as const) {
      const runs = f.runs[route];
      const pick = (k: keyof Run) => runs.map((r) => r[k] as number);
      const some = runs.length > 0;
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      const reads =
        some && runs[0]!.store_reads_per_req !== null ? median(pick("store_reads_per_req")) : null;
      const writes =
        some && runs[0]!.store_writes_per_req !== null
          ? median(pick("store_writes_per_req"))
          : null;
      base.push({
        scenario: f.scenario.name,
        route,
        rps: some ? round(median(pick("rps")), 0) : null,
        p50_ms: some ? round(median(pick("p50_ms")), 3) : null,
        p99_ms: some ? round(median(pick("p99_ms")), 3) : null,
        errors: some ? sum(pick("errors")) : null,
        store_cmds_per_req: reads !== null && writes !== null ? round(reads + writes, 3) : null,
        bytes_per_session: f.bytes,
        keys_kept_of_50: f.keysKept,
        available: f.available && some,
        ...(f.note !== undefined ? { note: f.note } : {}),
        ours: f.scenario.ours,
        framework: f.scenario.framework,
        backend: f.scenario.backend,
        ceiling: ceilingOf(f.scenario),
        pairing: f.scenario.pairing ?? null,
        rounds: runs.length,
        rps_min: some ? round(min(pick("rps")), 0) : null,
        rps_max: some ? round(max(pick("rps")), 0) : null,
        p50_ms_min: some ? round(min(pick("p50_ms")), 3) : null,
        p50_ms_max: some ? round(max(pick("p50_ms")), 3) : null,
        p99_ms_min: some ? round(min(pick("p99_ms")), 3) : null,
        p99_ms_max: some ? round(max(pick("p99_ms")), 3) : null,
        requests: some ? sum(pick("requests")) : null,
        cpu_us_per_req: some ? round(median(pick("cpu_us_per_req")), 1) : null,
        cpu_us_over_hello: null,
        alloc_bytes_per_req: medianOf(
          runs.map((r) => r.alloc_bytes_per_req),
          0,
        ),
        gc_pause_us_per_req: medianOf(
          runs.map((r) => r.gc_pause_us_per_req),
          1,
        ),
        load1_min: some ? round(min(pick("load1")), 2) : null,
        load1_max: some ? round(max(pick("load1")), 2) : null,
        store_reads_per_req: round(reads, 3),
        store_writes_per_req: round(writes, 3),
        ratio_to_ceiling: null,
        ratio_to_pairing: null,
        ...(some && runs.at(-1)!.store_commands
          ? { store_commands: runs.at(-1)!.store_commands }
          : {}),
        ...(f.bytesDetail !== undefined ? { bytes_detail: f.bytesDetail } : {}),
      });
    }
  }
  const find = (name: string | null, route: Route) =>
    base.find((r) => r.scenario === name && r.route === route && r.available);
  for (const r of base) {
    const ceiling = find(r.ceiling, r.route);
    const pairing = find(r.pairing, r.route);
    if (r.rps !== null && ceiling?.rps) r.ratio_to_ceiling = round(r.rps / ceiling.rps, 3);
    if (r.rps !== null && pairing?.rps) r.ratio_to_pairing = round(r.rps / pairing.rps, 3);
    if (r.cpu_us_per_req !== null && ceiling?.cpu_us_per_req != null)
      r.cpu_us_over_hello = round(r.cpu_us_per_req - ceiling.cpu_us_per_req, 1);
  }
  return base;
}
