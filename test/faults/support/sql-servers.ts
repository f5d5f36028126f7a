/**
 * Private PostgreSQL and MariaDB servers for the fault tests: a cluster or
 * data directory in a temp dir, a free port, killed and restarted at will —
 * never the shared servers on 5432 and 3306. Binaries come from the Debian
 * packages scripts/services.sh installs (PostgreSQL under
 * /usr/lib/postgresql/<major>/bin, mariadb-install-db and mariadbd).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";
import pg from "pg";
import { freePort } from "../../support/redis-server.js";
import { sleep } from "./scenario.js";

export interface PrivateSql {
  readonly url: string;
  readonly port: number;
  /** Runs one statement on a fresh connection of its own. */
  admin(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** A crash: SIGKILL (MariaDB) or an immediate shutdown (PostgreSQL: no checkpoint, crash recovery on start). */
  crash(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function pgBin(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const majors = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const m of majors)
    if (existsSync(join(root, m, "bin", "initdb"))) return join(root, m, "bin");
  return null;
}

/** As root (CI), PostgreSQL's tools must run as the postgres user. */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0
    ? ["runuser", ["-u", "postgres", "--", cmd, ...args]]
    : [cmd, args];
}

export function privatePostgresMissing(): string | null {
  const bin = pgBin();
  if (!bin) return "no PostgreSQL binaries under /usr/lib/postgresql/*/bin";
  if (process.getuid?.() === 0 && spawnSync("id", ["-u", "postgres"]).status !== 0)
    return "running as root without a postgres user to run initdb as";
  return null;
}

export function privateMariadbMissing(): string | null {
  for (const b of ["mariadb-install-db", "mariadbd"]) {
    const r = spawnSync("sh", ["-c", `command -v ${b} || ls /usr/sbin/${b}`], { encoding: "utf8" });
    if (r.status !== 0) return `${b} not found`;
  }
  return null;
}

async function waitFor(what: string, ms: number, fn: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await fn();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${String(err)}`);
      await sleep(100);
    }
  }
}

export async function startPostgres(): Promise<PrivateSql> {
  const bin = pgBin()!;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "cloakroom-pg-"));
  if (process.getuid?.() === 0) {
    const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout.trim());
    const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, "data");
  const run = (tool: string, args: string[]) => {
    const [cmd, full] = asPostgres(join(bin, tool), args);
    const r = spawnSync(cmd, full, { encoding: "utf8", timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${tool} failed: ${r.stdout}${r.stderr}`);
  };
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const admin = async (sql: string, params: unknown[] = []) => {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    c.on("error", () => undefined);
    await c.connect();
    try {
      return (await c.query(sql, params)).rows as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  };
  const start = async () => {
    run("pg_ctl", [
      "-D",
      data,
      "-l",
      join(dir, "log"),
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c shared_buffers=16MB -c max_connections=40`,
      "-w",
      "start",
    ]);
    await waitFor("private postgres answers", 20_000, () => admin("SELECT 1"));
  };
  const crash = async () => {
    run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
  };
  await start();
  return {
    url,
    port,
    admin,
    crash,
    start,
    stop: async () => {
      try {
        await crash();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startMariadb(): Promise<PrivateSql> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "cloakroom-mariadb-"));
  const data = join(dir, "data");
  const install = spawnSync(
    "mariadb-install-db",
    [
      "--no-defaults",
      `--datadir=${data}`,
      "--user=root",
      "--auth-root-authentication-method=normal",
      "--skip-test-db",
      "--skip-name-resolve",
    ],
    { encoding: "utf8", timeout: 60_000 },
  );
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}`);
  let proc: ChildProcess | undefined;
  const url = `mysql://root@127.0.0.1:${port}/test`;
  const admin = async (sql: string, params: unknown[] = []) => {
    const c = await mysql.createConnection({
      host: "127.0.0.1",
      port,
      user: "root",
      connectTimeout: 2000,
    });
    try {
      const [rows] = await c.query(sql, params);
      return (Array.isArray(rows) ? rows : []) as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  };
  const start = async () => {
    proc = spawn(
      "mariadbd",
      [
        "--no-defaults",
        `--datadir=${data}`,
        `--port=${port}`,
        "--bind-address=127.0.0.1",
        `--socket=${join(dir, "sock")}`,
        "--user=root",
        "--innodb-buffer-pool-size=16M",
        "--innodb-log-file-size=16M",
        "--innodb-flush-log-at-trx-commit=1",
        "--skip-log-bin",
        "--max-connections=60",
      ],
      { stdio: "ignore" },
    );
    await waitFor("private mariadb answers", 30_000, () => admin("SELECT 1"));
    await admin("CREATE DATABASE IF NOT EXISTS test");
  };
  const crash = async () => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once("exit", () => resolve());
      p.kill("SIGKILL");
    });
  };
  await start();
  return {
    url,
    port,
    admin,
    crash,
    start,
    stop: async () => {
      await crash();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
