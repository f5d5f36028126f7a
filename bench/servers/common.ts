/**
 * What every bench server shares: its configuration (from the environment the
 * harness sets), the session it serves, and a control plane on a second port
 * (`/__cpu`, `/__stats`) kept off the framework under test, so the measured
 * routes are identical across scenarios and the probes cost the app nothing.
 */
import { createServer } from "node:http";

/** What the harness passes to a server process. */
export const env = {
  port: Number(process.env.BENCH_PORT ?? 3100),
  controlPort: Number(process.env.BENCH_CONTROL_PORT ?? 3200),
  redisUrl: process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6600/0",
  pgUrl: process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/cloakroom_bench",
  sqliteFile: process.env.BENCH_SQLITE_FILE ?? "data/bench/sessions.db",
  /** 32+ bytes: @fastify/session refuses shorter secrets. */
  secret: process.env.BENCH_SECRET ?? "bench-secret-0123456789abcdef-0123456789abcdef",
};

/** The signed-in user every scenario's session carries; `GET /read` answers it. */
export const USER_ID = "user-42";

/** Idle lifetime every scenario configures (express-session `cookie.maxAge`, Cloakroom `idleTimeout`). */
export const IDLE_MS = 30 * 60 * 1000;

/** Store statements seen by this process (SQL scenarios count on the client side). */
export const counters = { statements: 0, writes: 0 };

type QueryFn = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Counts every statement sent through node-postgres, by wrapping
 * `Client.prototype.query` (which `Pool.query` also goes through). Writes are
 * told apart by their verb, so `INSERT … ON CONFLICT` and CTEs count as writes.
 */
export async function countPgStatements(): Promise<void> {
  const pg = (await import("pg")).default;
  const proto = pg.Client.prototype as unknown as { query: QueryFn };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === "string" ? first : ((first as { text?: string })?.text ?? "");
    counters.statements += 1;
    if (/\b(insert|update|delete|merge)\b/i.test(text)) counters.writes += 1;
    return original.apply(this, args);
  };
}

/** Counts better-sqlite3 statement executions; `reader` is false for statements that write. */
export async function countSqliteStatements(): Promise<void> {
  const Database = (await import("better-sqlite3")).default;
  const probe = new Database(":memory:");
  const proto = Object.getPrototypeOf(probe.prepare("select 1")) as Record<string, QueryFn>;
  probe.close();
  for (const method of ["run", "get", "all", "iterate"]) {
    const original = proto[method];
    if (typeof original !== "function") continue;
    proto[method] = function (this: unknown, ...args: unknown[]) {
      counters.statements += 1;
      if ((this as { reader?: boolean }).reader === false) counters.writes += 1;
      return original.apply(this, args);
    };
  }
}

/** Starts the control plane and says READY on stdout once the app listens. */
export function ready(scenario: string): void {
  const control = createServer((req, res) => {
    let body: unknown;
    if (req.url === "/__cpu") body = process.cpuUsage();
    else if (req.url === "/__stats") body = counters;
    else if (req.url === "/__ready") body = { scenario, pid: process.pid };
    else {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  control.listen(env.controlPort, "127.0.0.1", () => {
    process.stdout.write(`READY ${scenario} ${process.pid}\n`);
  });
}

/** Exits on SIGTERM after `close` (connections, pools), bounded so a stuck driver cannot hang the run. */
export function onShutdown(close: () => Promise<unknown>): void {
  process.once("SIGTERM", () => {
    setTimeout(() => process.exit(0), 2000).unref();
    close().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  });
}
