/**
 * The load generator, always a separate process pinned to its own core so it
 * never competes with the server under test: wrk when installed (C, lowest
 * overhead per request), else autocannon in a child Node process.
 */
import { execFile, execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface LoadSpec {
  url: string;
  method: "GET" | "POST";
  cookie: string;
  connections: number;
  seconds: number;
  core: number;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  /** Non-2xx responses plus socket errors and timeouts. */
  errors: number;
}

export type LoadTool = "wrk" | "autocannon";

export function pickLoadTool(): LoadTool {
  if (process.env.BENCH_LOAD_TOOL === "autocannon") return "autocannon";
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
  } catch (err) {
    // wrk --version exits 1 after printing its version; only "not found" means absent.
    if ((err as { code?: string }).code === "ENOENT") return "autocannon";
  }
  return "wrk";
}

export function runLoad(tool: LoadTool, spec: LoadSpec): Promise<LoadResult> {
  return tool === "wrk" ? runWrk(spec) : runAutocannon(spec);
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function duration(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? "");
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : Number.NaN;
}

/** Parses wrk's `--latency` report. */
export function parseWrk(out: string): LoadResult {
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? Number.NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    requests,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN),
    p50_ms: duration(/^\s+50%\s+(\S+)/m.exec(out)?.[1]),
    p99_ms: duration(/^\s+99%\s+(\S+)/m.exec(out)?.[1]),
    errors: non2xx + socketErrors,
  };
}

async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const script = join(tmpdir(), `cloakroom-bench-${spec.method.toLowerCase()}.lua`);
  writeFileSync(script, `wrk.method = "${spec.method}"\n`);
  const args = [
    "-c",
    String(spec.core),
    "wrk",
    "-t1",
    `-c${spec.connections}`,
    `-d${spec.seconds}s`,
  ];
  args.push("--latency", "--timeout", "5s", "-s", script, "-H", `Cookie: ${spec.cookie}`, spec.url);
  const { stdout } = await run("taskset", args, { timeout: (spec.seconds + 30) * 1000 });
  return parseWrk(stdout);
}

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const child = fileURLToPath(new URL("./autocannon-child.ts", import.meta.url));
  const { stdout } = await run(
    "taskset",
    ["-c", String(spec.core), process.execPath, "--import", "tsx", child, JSON.stringify(spec)],
    { timeout: (spec.seconds + 30) * 1000 },
  );
  return JSON.parse(stdout.trim().split("\n").pop()!) as LoadResult;
}
