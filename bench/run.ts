/**
 * `npm run bench [-- --quick] [-- --only=a,b] [-- --rounds=N --seconds=N --pairs=N --pair-seconds=N --no-scale --no-build]`
 *
 * Runs every scenario's server on core 0 and the load on core 1, rounds
 * alternating the scenarios (A B A B …), then the lost-update test and the
 * scale runs, and writes bench/results/latest.{json,md,svg}. Loopback only;
 * every run is bounded in time. See docs/benchmarks.md.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { relative, sep } from "node:path";
import pg from "pg";
import { type Backends, bytesPerSession, prepare } from "./lib/backends.js";
import { goals, RATIO_GOALS } from "./lib/goals.js";
import { pickLoadTool } from "./lib/load.js";
import { keysKept } from "./lib/lost-updates.js";
import { machine } from "./lib/machine.js";
import { type MeasureContext, measure } from "./lib/measure.js";
import { hasRedisServer, type PrivateRedis, startPrivateRedis } from "./lib/private-redis.js";
import { renderMarkdown } from "./lib/report-md.js";
import { renderSvg } from "./lib/report-svg.js";
import type { BenchFile, PairedRatio, Route, ScaleResult, ScenarioFacts } from "./lib/results.js";
import { summarize } from "./lib/results.js";
import { runScale } from "./lib/scale.js";
import { inQuick, missingPieces, SCENARIOS, type Scenario } from "./lib/scenarios.js";
import { type ServerHandle, startServer } from "./lib/server-proc.js";
import { median, round } from "./lib/stats.js";

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];

const quick = flag("quick");
const rounds = Number(option("rounds") ?? (quick ? 1 : 3));
const seconds = Number(option("seconds") ?? (quick ? 3 : 8));
const warmup = quick ? 1 : 2;
const only = option("only")?.split(",");
// Paired runs per throughput goal (0: none) and their length.
const pairs = Number(option("pairs") ?? (quick ? 0 : 6));
const pairSeconds = Number(option("pair-seconds") ?? 3);
const outDir = option("out") ?? "bench/results";
const SERVER_CORE = 0;
const LOAD_CORE = 1;
const PRIVATE_REDIS_PORT = Number(process.env.BENCH_REDIS_PORT ?? 6600);
const PG_ADMIN = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

// Ctrl-C or a kill: exit normally, so the servers and the private redis-server are stopped with us.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

const t0 = Date.now();
const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
const log = (msg: string) =>
  console.log(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}`);

async function reachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

// The servers import the built package (dist/): build it from this tree first.
if (!flag("no-build")) {
  log("npm run build (the servers run dist/, as users do)");
  execFileSync("npm", ["run", "--silent", "build"], { stdio: "inherit" });
}

const selected = SCENARIOS.filter((s) => (only ? only.includes(s.name) : !quick || inQuick(s)));
const tool = pickLoadTool();
log(
  `${quick ? "quick" : "full"} run: ${selected.length} scenarios, ${rounds} round(s) of ${seconds} s, load by ${tool}`,
);

let privateRedis: PrivateRedis | null = null;
if (hasRedisServer()) {
  privateRedis = await startPrivateRedis(PRIVATE_REDIS_PORT, LOAD_CORE);
  log(`private redis-server on 127.0.0.1:${PRIVATE_REDIS_PORT}`);
} else log("redis-server not installed: Redis scenarios not available (npm run services)");
const pgOk = await reachable(PG_ADMIN);
if (!pgOk) log(`PostgreSQL not reachable at ${PG_ADMIN}: PostgreSQL scenarios not available`);
const backends: Backends = {
  redis: privateRedis ? { url: privateRedis.url, client: privateRedis.client } : null,
  pgAdmin: pgOk ? PG_ADMIN : null,
};

const facts: ScenarioFacts[] = [];
const paired: PairedRatio[] = [];
const servers = new Map<string, ServerHandle>();
const empty = (): Record<Route, []> => ({ read: [], write: [] });

try {
  // Servers start together (startup is not measured); each has its own places in the backends.
  const startOne = async (s: Scenario, i: number): Promise<ScenarioFacts> => {
    const f: ScenarioFacts = {
      scenario: s,
      available: false,
      bytes: null,
      keysKept: null,
      runs: empty(),
    };
    const missing =
      missingPieces(s) ??
      (s.backend === "redis" && !backends.redis ? "not available: no redis-server" : null) ??
      ((s.backend === "postgres" || s.backend === "tiered") && !backends.pgAdmin
        ? "not available: no PostgreSQL"
        : null);
    if (missing) {
      f.note = missing;
      log(`${s.name}: ${missing}`);
      return f;
    }
    try {
      const env = await prepare(backends, s, i);
      const h = await startServer(s.name, 3100 + i, SERVER_CORE, env);
      servers.set(s.name, h);
      const bytes = await bytesPerSession(backends, s, env);
      f.bytes = bytes.bytes;
      f.bytesDetail = bytes.detail;
      f.available = true;
      log(
        `${s.name}: up (pid ${h.pid}); bytes per session ${bytes.bytes ?? "n/a"} (${bytes.detail})`,
      );
    } catch (err) {
      f.note = `not available: ${(err as Error).message.split("\n").slice(0, 3).join(" ")}`;
      log(`${s.name}: ${f.note}`);
    }
    return f;
  };
  // Three at a time: more only makes each slower to load on 2 cores.
  const started: Promise<ScenarioFacts>[] = [];
  for (const [i, s] of selected.entries()) {
    started.push(i >= 3 ? started[i - 3]!.then(() => startOne(s, i)) : startOne(s, i));
  }
  facts.push(...(await Promise.all(started)));

  const ctx: MeasureContext = {
    tool,
    redis: backends.redis?.client ?? null,
    connections: 32,
    loadCore: LOAD_CORE,
  };
  const live = facts.filter((f) => f.available);
  log(`warm-up: ${warmup} s per scenario and route`);
  for (const f of live) {
    for (const route of ["read", "write"] as const) {
      await measure(ctx, f.scenario, servers.get(f.scenario.name)!, route, warmup);
    }
  }
  for (let r = 1; r <= rounds; r++) {
    for (const route of ["read", "write"] as const) {
      // Alternate: every scenario once per round, so drift in the machine spreads over all of them.
      for (const f of live) {
        const run = await measure(ctx, f.scenario, servers.get(f.scenario.name)!, route, seconds);
        f.runs[route].push(run);
        log(
          `round ${r}/${rounds} ${route.padEnd(5)} ${f.scenario.name.padEnd(36)} ${run.rps.toFixed(0).padStart(6)} req/s  p50 ${run.p50_ms.toFixed(2)} ms  p99 ${run.p99_ms.toFixed(2)} ms  cpu ${run.cpu_us_per_req.toFixed(1)} µs/req  store ${run.store_reads_per_req?.toFixed(2) ?? "?"}r+${run.store_writes_per_req?.toFixed(2) ?? "?"}w/req${run.errors ? `  ERRORS ${run.errors}` : ""}`,
        );
      }
    }
  }
  // Each throughput goal again, pair by pair: the two servers loaded one
  // after the other, seconds apart, alternating which goes first. On a
  // shared machine whose speed drifts by 10–50% over minutes, the rounds above
  // put minutes between the two sides of a ratio; a pair puts seconds.
  for (const g of pairs > 0 ? RATIO_GOALS : []) {
    const a = live.find((f) => f.scenario.name === g.ours);
    const b = live.find((f) => f.scenario.name === g.theirs);
    if (!a || !b) continue;
    const ratios: number[] = [];
    for (let i = 0; i < pairs; i++) {
      const order = i % 2 === 0 ? [a, b] : [b, a];
      const rps = new Map<ScenarioFacts, number>();
      for (const f of order) {
        const run = await measure(
          ctx,
          f.scenario,
          servers.get(f.scenario.name)!,
          g.route,
          pairSeconds,
        );
        rps.set(f, run.rps);
      }
      ratios.push(round(rps.get(a)! / rps.get(b)!, 3) ?? Number.NaN);
    }
    const mid = round(median(ratios), 3) ?? Number.NaN;
    paired.push({
      ours: g.ours,
      theirs: g.theirs,
      route: g.route,
      seconds_per_run: pairSeconds,
      ratios,
      median: mid,
    });
    log(
      `paired ${g.route} ${g.ours} / ${g.theirs}: median ${mid.toFixed(3)}× (${ratios.join(", ")})`,
    );
  }
  for (const f of live) {
    try {
      f.keysKept = await keysKept(
        servers.get(f.scenario.name)!.port,
        f.scenario.backend !== "none",
      );
      log(`lost updates: ${f.scenario.name} kept ${f.keysKept ?? "n/a"} of 50`);
    } catch (err) {
      log(`lost updates: ${f.scenario.name} failed: ${(err as Error).message}`);
    }
  }
} finally {
  await Promise.all([...servers.values()].map((h) => h.stop()));
}

let scale: ScaleResult[] = [];
if (!flag("no-scale")) {
  scale = await runScale({
    redis: backends.redis?.client ?? null,
    // --quick is Redis and SQLite only, as for the scenarios.
    pgAdmin: quick ? null : backends.pgAdmin,
    sizes: quick ? [1_000, 10_000] : [1_000, 100_000, 1_000_000],
    samples: quick ? 2_000 : 10_000,
    log,
  });
}
await privateRedis?.stop();

const results = summarize(facts);
const file: BenchFile = {
  machine: machine({
    mode: quick ? "quick" : "full",
    rounds,
    seconds_per_run: seconds,
    paired_runs: pairs > 0 ? `${pairs} pairs of ${pairSeconds} s per throughput goal` : "none",
    connections: 32,
    load_tool: tool,
    server_core: SERVER_CORE,
    load_core: LOAD_CORE,
    store_commands:
      "Redis: INFO commandstats deltas on a private redis-server (script and MULTI wrappers not counted, the commands they run are); SQL: statements counted in the server process (pg Client.query, better-sqlite3 Statement run/get/all/iterate)",
    duration_s: Math.round((Date.now() - t0) / 1000),
    package: `the built package (dist/${flag("no-build") ? ", not rebuilt by this run" : ", built at the start of this run"})`,
    loadavg_at_start: loadAtStart,
    loadavg_at_end: loadavg().map((x) => Math.round(x * 100) / 100),
  }),
  results,
  scale,
  paired,
  goals: [],
};
file.goals = goals(file);
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}/latest.json`, `${JSON.stringify(file, null, 2)}\n`);
writeFileSync(
  `${outDir}/latest.md`,
  renderMarkdown(file, relative(outDir, "docs/benchmarks.md").split(sep).join("/")),
);
writeFileSync(`${outDir}/latest.svg`, renderSvg(file));
log(`wrote ${outDir}/latest.{json,md,svg}`);
for (const g of file.goals)
  log(`goal ${g.status.padEnd(4)} ${g.goal}: ${g.measured} (target ${g.target})`);
