/**
 * Starts one scenario's server as its own Node process, waits for its READY
 * line, then pins all its threads to one core (`taskset -a -p`): startup
 * (loading and transpiling) uses both cores, the measured runs one.
 * Runs `node --import tsx` directly (not the tsx CLI, which forks a second
 * process) so the pid we read CPU from is the one serving requests. tsx
 * only transpiles the small server files: the library they import is the
 * built package (dist/, see servers/cloakroom-shared.ts).
 *
 * Every server runs with `--trace-gc-nvp`: V8 prints one line per garbage
 * collection with the bytes allocated since the previous one and the pause,
 * which gives allocation per request and GC time for the same requests as
 * the throughput (a line every few hundred requests: no measurable cost).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { request } from "node:http";
import { fileURLToPath } from "node:url";

export interface ServerHandle {
  scenario: string;
  port: number;
  controlPort: number;
  pid: number;
  /** The cookie header of the session `POST /login` created. */
  cookie: string;
  /** Totals since start from the server's `--trace-gc-nvp` lines. */
  gc: GcTotals;
  stop(): Promise<void>;
}

export interface GcTotals {
  /** Bytes allocated, summed over collections (what was allocated before the last one). */
  allocated: number;
  /** Milliseconds of main-thread pauses. */
  pauseMs: number;
  collections: number;
}

/** Adds the `allocated=` and `pause=` of each complete `--trace-gc-nvp` line in `text`; returns the unfinished tail. */
function addGcLines(totals: GcTotals, text: string): string {
  const lines = text.split("\n");
  const tail = lines.pop() ?? "";
  for (const line of lines) {
    const allocated = /\ballocated=(\d+)/.exec(line);
    if (!allocated) continue;
    totals.allocated += Number(allocated[1]);
    totals.pauseMs += Number(/\bpause=([\d.]+)/.exec(line)?.[1] ?? 0);
    totals.collections += 1;
  }
  return tail;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request on a fresh connection, for setup and probes (never for load). */
export function http(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    req.on("error", reject);
    req.end();
  });
}

/** The `name=value` pairs of a response's Set-Cookie headers, as a Cookie header. */
export function cookieHeader(res: HttpResult): string {
  const set = res.headers["set-cookie"] ?? [];
  return (Array.isArray(set) ? set : [set]).map((c) => c.split(";")[0]).join("; ");
}

export async function cpuMicros(handle: ServerHandle): Promise<number> {
  const r = await http(handle.controlPort, "GET", "/__cpu");
  const u = JSON.parse(r.body) as { user: number; system: number };
  return u.user + u.system;
}

export async function sqlCounters(
  handle: ServerHandle,
): Promise<{ statements: number; writes: number }> {
  return JSON.parse((await http(handle.controlPort, "GET", "/__stats")).body);
}

/** Every server still running: killed when the harness exits, however it exits. */
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

export async function startServer(
  scenario: string,
  port: number,
  core: number,
  env: Record<string, string>,
): Promise<ServerHandle> {
  const file = fileURLToPath(new URL(`../servers/${scenario}.ts`, import.meta.url));
  const proc: ChildProcess = spawn(process.execPath, ["--trace-gc-nvp", "--import", "tsx", file], {
    env: {
      ...process.env,
      ...env,
      BENCH_PORT: String(port),
      BENCH_CONTROL_PORT: String(port + 1000),
      NODE_ENV: "production",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(proc);
  proc.once("exit", () => children.delete(proc));
  let stderr = "";
  const gc: GcTotals = { allocated: 0, pauseMs: 0, collections: 0 };
  let gcTail = "";
  proc.stdout?.on("data", (d: Buffer) => {
    gcTail = addGcLines(gc, gcTail + d.toString());
  });
  proc.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const pid = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`${scenario}: not ready in 90 s\n${stderr}`));
    }, 90_000);
    let out = "";
    const onData = (d: Buffer) => {
      out = (out + d.toString()).slice(-4000);
      const m = /READY \S+ (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.stdout?.off("data", onData);
        resolve(Number(m[1]));
      }
    };
    proc.stdout?.on("data", onData);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${scenario}: exited with ${code} before READY\n${stderr.trim()}`));
    });
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null) return resolve();
      const kill = setTimeout(() => proc.kill("SIGKILL"), 3000);
      proc.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      proc.kill("SIGTERM");
    });
  try {
    execFileSync("taskset", ["-a", "-p", "-c", String(core), String(pid)], { stdio: "ignore" });
    const login = await http(port, "POST", "/login");
    const cookie = cookieHeader(login);
    if (login.status !== 200 || cookie === "") {
      throw new Error(
        `${scenario}: POST /login gave ${login.status} and no cookie: ${login.body.slice(0, 200)}`,
      );
    }
    const read = await http(port, "GET", "/read", { cookie });
    if (!read.body.includes("user-42"))
      throw new Error(`${scenario}: GET /read does not see the session: ${read.body}`);
    return { scenario, port, controlPort: port + 1000, pid, cookie, gc, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
