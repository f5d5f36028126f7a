/**
 * The bench's arithmetic, without running a benchmark: wrk's report parsed
 * into numbers, medians and ratios against ceiling and pairing, goals marked
 * PASS/MISS/N/A from them, and Cloakroom's bars highlighted in the chart.
 */
import { describe, expect, it } from "vitest";
import { goals } from "../../bench/lib/goals.js";
import { parseWrk } from "../../bench/lib/load.js";
import { renderMarkdown } from "../../bench/lib/report-md.js";
import { renderSvg } from "../../bench/lib/report-svg.js";
import {
  type BenchFile,
  type Run,
  type ScenarioFacts,
  summarize,
} from "../../bench/lib/results.js";
import { SCENARIOS } from "../../bench/lib/scenarios.js";

const WRK = `Running 8s test @ http://127.0.0.1:3100/read
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.21ms    1.02ms  41.12ms   93.10%
    Req/Sec    10.01k   412.33    10.80k    77.50%
  Latency Distribution
     50%    3.05ms
     75%    3.40ms
     90%    3.90ms
     99%  812.00us
  80112 requests in 8.00s, 19.33MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:  10013.87
Transfer/sec:      2.42MB
`;

const run = (rps: number, cpu: number, writes = 0): Run => ({
  requests: rps * 8,
  rps,
  p50_ms: 3,
  p99_ms: 9,
  errors: 0,
  cpu_us_per_req: cpu,
  alloc_bytes_per_req: 40_000,
  gc_pause_us_per_req: 5,
  load1: 2,
  store_reads_per_req: 1,
  store_writes_per_req: writes,
});

function facts(name: string, reads: Run[], extra: Partial<ScenarioFacts> = {}): ScenarioFacts {
  const scenario = SCENARIOS.find((s) => s.name === name)!;
  return {
    scenario,
    available: true,
    bytes: null,
    keysKept: null,
    runs: { read: reads, write: reads },
    ...extra,
  };
}

function file(all: ScenarioFacts[]): BenchFile {
  const f: BenchFile = {
    machine: { mode: "quick", date: "2026-01-01", cores: 2, load_tool: "wrk", rounds: 3 },
    results: summarize(all),
    scale: [],
    goals: [],
  };
  f.goals = goals(f);
  return f;
}

describe("bench report", () => {
  it("parses wrk's latency report, units included, errors summed", () => {
    expect(parseWrk(WRK)).toEqual({
      requests: 80112,
      rps: 10013.87,
      p50_ms: 3.05,
      p99_ms: 0.812,
      errors: 6,
    });
  });

  it("reports medians with min and max, ratios to pairing and ceiling, CPU over hello", () => {
    const results = summarize([
      facts("express-hello", [run(10_000, 60), run(9_000, 62), run(11_000, 58)]),
      facts("express-raw-redis", [run(8_000, 75), run(8_800, 71), run(9_000, 70)]),
      facts("cloakroom-express+redis", [run(8_500, 80), run(8_700, 77), run(7_000, 90)]),
    ]);
    const ours = results.find(
      (r) => r.scenario === "cloakroom-express+redis" && r.route === "read",
    )!;
    expect(ours).toMatchObject({ rps: 8500, rps_min: 7000, rps_max: 8700, rounds: 3 });
    expect(ours.ratio_to_pairing).toBeCloseTo(8500 / 8800, 3);
    expect(ours.ratio_to_ceiling).toBeCloseTo(0.85, 3);
    expect(ours.cpu_us_over_hello).toBe(20);
    expect(ours.store_cmds_per_req).toBe(1);
    expect(ours).toMatchObject({
      alloc_bytes_per_req: 40_000,
      gc_pause_us_per_req: 5,
      load1_min: 2,
    });
  });

  it("marks goals PASS, MISS, or N/A when a scenario did not run", () => {
    const f = file([
      facts("express-hello", [run(10_000, 60)]),
      facts("express-raw-redis", [run(8_800, 71)]),
      facts("express-session+connect-redis", [run(5_800, 131, 1)], { bytes: 280, keysKept: 1 }),
      facts("cloakroom-express+redis", [run(8_600, 75)], { bytes: 120, keysKept: 50 }),
    ]);
    const status = (prefix: string) => f.goals.find((g) => g.goal.startsWith(prefix))?.status;
    expect(status("cloakroom-express+redis read ≥ 0.95×")).toBe("PASS");
    expect(status("cloakroom-express+redis read ≥ 1.5×")).toBe("MISS");
    expect(status("cloakroom-fastify+redis read")).toBe("N/A");
    expect(status("cloakroom-express+redis: Node CPU")).toBe("PASS");
    expect(status("read-only traffic")).toBe("PASS");
    expect(status("bytes per Redis session")).toBe("PASS");
    expect(status("keys kept")).toBe("PASS");
  });

  it("lets the paired ratio decide a throughput goal, and reports both", () => {
    const f = file([
      facts("express-hello", [run(10_000, 60)]),
      facts("cloakroom-express+tiered-near", [run(7_000, 80)]),
    ]);
    const goal = () => f.goals.find((g) => g.goal.startsWith("cloakroom-express+tiered-near"))!;
    expect(goal().status).toBe("MISS"); // 0.70× from the rounds alone
    f.paired = [
      {
        ours: "cloakroom-express+tiered-near",
        theirs: "express-hello",
        route: "read",
        seconds_per_run: 3,
        ratios: [0.78, 0.83, 0.84, 0.81, 0.9, 0.85],
        median: 0.835,
      },
    ];
    f.goals = goals(f);
    expect(goal().status).toBe("PASS");
    expect(goal().measured).toBe("0.70× (7000 vs 10000 req/s); paired 0.83× (0.78–0.90, 6 pairs)");
    f.paired[0]!.median = 0.79;
    f.goals = goals(f);
    expect(goal().status).toBe("MISS");
  });

  it("fails the read-only goal when a Cloakroom read writes to the store", () => {
    const f = file([facts("cloakroom-express+redis", [run(8_600, 75, 1)], { keysKept: 49 })]);
    expect(f.goals.find((g) => g.goal.startsWith("read-only"))?.status).toBe("MISS");
    expect(f.goals.find((g) => g.goal.startsWith("keys kept"))?.status).toBe("MISS");
  });

  it("draws only measured scenarios, ours highlighted, and lists the unavailable ones in the tables", () => {
    const f = file([
      facts("express-hello", [run(10_000, 60)]),
      facts("cloakroom-express+redis", [run(8_600, 75)]),
      facts("cloakroom-express+postgres", [], {
        available: false,
        note: "not available: no PostgreSQL",
      }),
    ]);
    const svg = renderSvg(f);
    expect(svg).toContain('class="ours">cloakroom-express+redis</text>');
    expect(svg).toContain("0.86× hello");
    expect(svg).not.toContain("cloakroom-express+postgres");
    expect(renderMarkdown(f)).toContain(
      "| cloakroom-express+postgres | not available: no PostgreSQL |",
    );
  });
});
