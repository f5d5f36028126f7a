/**
 * One measured run: the server's CPU time and its store's command counters
 * read just before and just after the load, so CPU and commands per request
 * come from the same requests as throughput and latency.
 */
import { loadavg } from "node:os";
import type { RedisClientType } from "redis";
import { type LoadTool, runLoad } from "./load.js";
import { commandStats } from "./private-redis.js";
import type { Route, Run } from "./results.js";
import type { Scenario } from "./scenarios.js";
import { cpuMicros, type ServerHandle, sqlCounters } from "./server-proc.js";

export interface MeasureContext {
  tool: LoadTool;
  redis: RedisClientType | null;
  connections: number;
  loadCore: number;
}

interface Counts {
  reads: number;
  writes: number;
  byCommand: Record<string, number>;
}

/** Store commands so far: Redis counts server-side; SQL statements client-side (the server process counts them). */
async function storeCounts(
  ctx: MeasureContext,
  s: Scenario,
  h: ServerHandle,
): Promise<Counts | null> {
  let reads = 0;
  let writes = 0;
  let counted = false;
  const byCommand: Record<string, number> = {};
  if (s.backend === "redis" && ctx.redis) {
    const c = await commandStats(ctx.redis);
    reads += c.reads;
    writes += c.writes;
    Object.assign(byCommand, c.byCommand);
    counted = true;
  }
  if (s.backend === "postgres" || s.backend === "sqlite" || s.backend === "tiered") {
    const c = await sqlCounters(h);
    reads += c.statements - c.writes;
    writes += c.writes;
    byCommand["sql reads"] = c.statements - c.writes;
    byCommand["sql writes"] = c.writes;
    counted = true;
  }
  return counted ? { reads, writes, byCommand } : null;
}

export async function measure(
  ctx: MeasureContext,
  s: Scenario,
  h: ServerHandle,
  route: Route,
  seconds: number,
): Promise<Run> {
  const before = await storeCounts(ctx, s, h);
  const gc0 = { ...h.gc };
  const cpu0 = await cpuMicros(h);
  const load = await runLoad(ctx.tool, {
    url: `http://127.0.0.1:${h.port}/${route}`,
    method: route === "read" ? "GET" : "POST",
    cookie: h.cookie,
    connections: ctx.connections,
    seconds,
    core: ctx.loadCore,
  });
  const cpu1 = await cpuMicros(h);
  const gc1 = { ...h.gc };
  const after = await storeCounts(ctx, s, h);
  const n = Math.max(1, load.requests);
  const cpu = cpu1 - cpu0;
  const none = s.backend === "none";
  return {
    ...load,
    cpu_us_per_req: cpu / n,
    // Collections during the run: allocation is summed at each one, so a
    // run with none (too short) reports nothing rather than zero.
    alloc_bytes_per_req:
      gc1.collections > gc0.collections ? (gc1.allocated - gc0.allocated) / n : null,
    gc_pause_us_per_req:
      gc1.collections > gc0.collections ? ((gc1.pauseMs - gc0.pauseMs) * 1000) / n : null,
    load1: loadavg()[0]!,
    store_reads_per_req: none ? 0 : before && after ? (after.reads - before.reads) / n : null,
    store_writes_per_req: none ? 0 : before && after ? (after.writes - before.writes) / n : null,
    ...(before && after
      ? { store_commands: perRequest(before.byCommand, after.byCommand, n) }
      : {}),
  };
}

function perRequest(before: Record<string, number>, after: Record<string, number>, n: number) {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = (v - (before[k] ?? 0)) / n;
    if (d > 0.001) out[k] = Math.round(d * 1000) / 1000;
  }
  return out;
}
