/**
 * Private redis-server processes for tests that must not disturb the shared
 * servers: a server they shut down, statistics they reset, a master they kill.
 * Each gets a free port on 127.0.0.1 and a temp dir; readiness is a real PING,
 * polled; `stop()` kills the process and removes the dir.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Runs one command on this server with a short-lived connection. */
  command(args: string[]): Promise<unknown>;
  /** Kills the process (SIGKILL: a crash, nothing saved) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after kill). */
  restart(): Promise<void>;
  /** Kills it and removes its files. */
  stop(): Promise<void>;
  /** Sends a signal to the running process (SIGSTOP/SIGCONT to freeze and thaw it). */
  signal(sig: NodeJS.Signals): void;
}

/** Null when a redis-server binary can run here, else why not (for describeWithService). */
export function redisServerMissing(): string | null {
  const r = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  return r.status === 0
    ? null
    : "redis-server binary not found (bash scripts/services.sh installs it)";
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function command(port: number, args: string[]): Promise<unknown> {
  const c = createClient({ socket: { host: "127.0.0.1", port, reconnectStrategy: false } });
  c.on("error", () => undefined);
  await c.connect();
  try {
    return await c.sendCommand(args);
  } finally {
    c.destroy();
  }
}

/** Polls PING until it answers or `ms` passes. */
export async function waitForPing(port: number, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (String(await command(port, ["PING"])) === "PONG") return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`redis :${port} did not answer PING: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts redis-server (or a sentinel, `sentinel: true`) with these config lines.
 * `port`, `bind`, `dir` and no persistence are added.
 */
export async function startRedis(
  config: string[] = [],
  options: { port?: number; sentinel?: boolean } = {},
): Promise<PrivateRedis> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), `cloakroom-redis-${port}-`));
  const conf = join(dir, "redis.conf");
  writeFileSync(
    conf,
    [`port ${port}`, "bind 127.0.0.1", `dir ${dir}`, 'save ""', "appendonly no", ...config].join(
      "\n",
    ),
  );
  let proc: ChildProcess | undefined;
  const launch = async () => {
    proc = spawn("redis-server", options.sentinel ? [conf, "--sentinel"] : [conf], {
      stdio: "ignore",
    });
    await waitForPing(port);
  };
  const kill = async () => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once("exit", () => resolve());
      p.kill("SIGKILL");
    });
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    command: (args) => command(port, args),
    kill,
    restart: launch,
    signal: (sig) => {
      proc?.kill(sig);
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
