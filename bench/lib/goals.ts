/**
 * The issue's goals, each checked against this run: PASS, MISS, or N/A when
 * a scenario it needs did not run. Throughput goals are ratios measured in
 * the same run, so they survive a slower machine better than absolute req/s.
 */
import type { BenchFile, Goal, Result } from "./results.js";

const fmt = (x: number | null | undefined, digits = 2) => (x == null ? "n/a" : x.toFixed(digits));

/** A throughput goal: ours over theirs on one route, at least `target`. */
export interface RatioGoal {
  ours: string;
  theirs: string;
  route: "read" | "write";
  target: number;
  why: string;
}

/** The issue's throughput goals, in report order. */
export const RATIO_GOALS: readonly RatioGoal[] = [
  {
    ours: "cloakroom-express+redis",
    theirs: "express-raw-redis",
    route: "read",
    target: 0.95,
    why: "slower than the raw cookie+GET floor by more than 5%",
  },
  // Issue 11's goals.
  ...(["read", "write"] as const).map((route) => ({
    ours: "cloakroom-express+redis",
    theirs: "express-session+connect-redis",
    route,
    target: route === "read" ? 1.5 : 1.3,
    why: `less than ${route === "read" ? 1.5 : 1.3}× express-session`,
  })),
  ...(["read", "write"] as const).map((route) => ({
    ours: "cloakroom-fastify+redis",
    theirs: "fastify-session+connect-redis-rolling-false",
    route,
    target: 1.3,
    why: "less than 1.3× @fastify/session (rolling: false)",
  })),
  {
    ours: "cloakroom-express+postgres",
    theirs: "express-session+connect-pg-simple",
    route: "read",
    target: 2.5,
    why: "less than 2.5× connect-pg-simple",
  },
  {
    ours: "cloakroom-express+postgres",
    theirs: "express-session+connect-pg-simple",
    route: "write",
    target: 1.2,
    why: "less than 1.2× connect-pg-simple",
  },
  // Issue 18: a warm near cache costs no round trip, so it should come close to hello.
  {
    ours: "cloakroom-express+tiered-near",
    theirs: "express-hello",
    route: "read",
    target: 0.8,
    why: "less than 0.8× express hello",
  },
];

export function goals(file: BenchFile): Goal[] {
  const get = (scenario: string, route: "read" | "write" = "read"): Result | undefined =>
    file.results.find((r) => r.scenario === scenario && r.route === route && r.available);
  const out: Goal[] = [];

  for (const g of RATIO_GOALS) {
    const a = get(g.ours, g.route);
    const b = get(g.theirs, g.route);
    const x = a?.rps && b?.rps ? a.rps / b.rps : null;
    const pair = file.paired?.find(
      (p) => p.ours === g.ours && p.theirs === g.theirs && p.route === g.route,
    );
    // The paired median, where measured, decides: both servers loaded in
    // alternation seconds apart, so the machine's drift cancels out of it.
    const decisive = pair ? pair.median : x;
    const measured =
      x === null
        ? "n/a"
        : `${fmt(x)}× (${a!.rps} vs ${b!.rps} req/s)${pair ? `; paired ${fmt(pair.median)}× (${fmt(Math.min(...pair.ratios))}–${fmt(Math.max(...pair.ratios))}, ${pair.ratios.length} pairs)` : ""}`;
    out.push({
      goal: `${g.ours} ${g.route} ≥ ${g.target}× ${g.theirs}`,
      target: `≥ ${g.target}×`,
      measured,
      status: decisive === null ? "N/A" : decisive >= g.target ? "PASS" : "MISS",
      ...(x === null
        ? { note: `${!a ? g.ours : g.theirs} did not run` }
        : decisive !== null && decisive < g.target
          ? { note: g.why }
          : {}),
    });
  }

  const over = (name: string) => get(name)?.cpu_us_over_hello ?? null;
  const e = over("cloakroom-express+redis");
  out.push({
    goal: "cloakroom-express+redis: Node CPU the session layer adds on a Redis read",
    target: "≤ 25 µs/req over express hello (the raw cookie+GET floor is ~15)",
    measured:
      e === null
        ? "n/a"
        : `${fmt(e, 1)} µs/req (floor: ${fmt(over("express-raw-redis"), 1)}; express-session: ${fmt(over("express-session+connect-redis"), 1)})`,
    status: e === null ? "N/A" : e <= 25 ? "PASS" : "MISS",
  });
  const h = over("cloakroom-hono+redis");
  const f = over("cloakroom-fastify+redis");
  out.push({
    goal: "cloakroom-hono+redis: session CPU over hono hello ≤ the Fastify plugin's over fastify hello",
    target: `≤ ${fmt(f, 1)} µs/req`,
    measured: h === null ? "n/a" : `${fmt(h, 1)} µs/req`,
    status: h === null || f === null ? "N/A" : h <= f ? "PASS" : "MISS",
  });

  const ours = file.results.filter((r) => r.ours && r.available);
  const reads = ours.filter((r) => r.route === "read");
  const writers = reads.filter((r) => (r.store_writes_per_req ?? 0) > 0);
  out.push({
    goal: "read-only traffic: 0 store writes per request (every Cloakroom scenario)",
    target: "0",
    measured:
      reads.length === 0
        ? "n/a"
        : reads.map((r) => `${r.scenario} ${fmt(r.store_writes_per_req, 3)}`).join("; "),
    status: reads.length === 0 ? "N/A" : writers.length === 0 ? "PASS" : "MISS",
  });

  const a = get("cloakroom-express+redis");
  const b = get("express-session+connect-redis");
  const bytesOk = a?.bytes_per_session != null && b?.bytes_per_session != null;
  out.push({
    goal: "bytes per Redis session ≤ half of connect-redis's",
    target: `≤ ${bytesOk ? b!.bytes_per_session! / 2 : "half"} B`,
    measured: bytesOk ? `${a!.bytes_per_session} B vs ${b!.bytes_per_session} B` : "n/a",
    status: !bytesOk ? "N/A" : a!.bytes_per_session! <= b!.bytes_per_session! / 2 ? "PASS" : "MISS",
    ...(bytesOk && a!.bytes_detail ? { note: `Cloakroom's ${a!.bytes_detail}` } : {}),
  });

  const kept = reads.filter((r) => r.keys_kept_of_50 !== null);
  const lost = kept.filter((r) => r.keys_kept_of_50 !== 50);
  out.push({
    goal: "keys kept of 50 concurrent writes: 50 for every Cloakroom scenario",
    target: "50",
    measured:
      kept.length === 0 ? "n/a" : kept.map((r) => `${r.scenario} ${r.keys_kept_of_50}`).join("; "),
    status: kept.length === 0 ? "N/A" : lost.length === 0 ? "PASS" : "MISS",
  });
  return out;
}
