/**
 * The bench's own redis-server on a private port, so nothing but the server
 * under test touches `INFO commandstats` and the shared 6379 is never loaded.
 * No persistence (`--save "" --appendonly no`): fsync would measure the disk.
 * Pinned with the load generator (core 1) to keep core 0 for the Node server.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createClient, type RedisClientType } from "redis";

export interface PrivateRedis {
  url: string;
  client: RedisClientType;
  stop(): Promise<void>;
}

export function hasRedisServer(): boolean {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Starts redis-server on `port` and resolves once it answers PING. */
export async function startPrivateRedis(port: number, core: number): Promise<PrivateRedis> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const proc: ChildProcess = spawn("taskset", ["-c", String(core), "redis-server", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let exited = false;
  const killOnExit = () => proc.kill("SIGKILL");
  process.once("exit", killOnExit);
  proc.once("exit", () => {
    exited = true;
    process.off("exit", killOnExit);
  });
  const url = `redis://127.0.0.1:${port}/0`;
  const client: RedisClientType = createClient({ url, socket: { reconnectStrategy: false } });
  client.on("error", () => undefined);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) throw new Error(`redis-server on ${port} exited (port taken?)`);
    try {
      await client.connect();
      if ((await client.ping()) === "PONG") break;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer PING`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    client,
    async stop() {
      await client.quit().catch(() => undefined);
      proc.kill("SIGTERM");
    },
  };
}

/** Commands that change data: anything else in commandstats counts as a read. */
const WRITES = new Set([
  "set",
  "setex",
  "psetex",
  "setnx",
  "getset",
  "getdel",
  "getex",
  "del",
  "unlink",
  "expire",
  "pexpire",
  "expireat",
  "pexpireat",
  "persist",
  "hset",
  "hmset",
  "hsetnx",
  "hdel",
  "hincrby",
  "hincrbyfloat",
  "hexpire",
  "hpexpire",
  "hpexpireat",
  "sadd",
  "srem",
  "zadd",
  "zrem",
  "zremrangebyscore",
  "incr",
  "incrby",
  "decr",
  "rpush",
  "lpush",
  "restore",
]);
/**
 * Wrappers: Redis counts the commands a script or a transaction runs on their
 * own lines, so counting the wrapper too would count twice. Kept in
 * `byCommand`, left out of reads and writes.
 */
const WRAPPERS = new Set([
  "eval",
  "evalsha",
  "eval_ro",
  "evalsha_ro",
  "fcall",
  "fcall_ro",
  "multi",
  "exec",
]);
/** The bench's own probes, not the server's work. */
const IGNORED = new Set([
  "info",
  "config",
  "ping",
  "client",
  "hello",
  "select",
  "flushall",
  "dbsize",
  "memory",
  "scan",
]);

export interface CommandCounts {
  reads: number;
  writes: number;
  byCommand: Record<string, number>;
}

/** Parses `INFO commandstats` into counts, split into reads and writes. */
export async function commandStats(client: RedisClientType): Promise<CommandCounts> {
  const info = await client.info("commandstats");
  const out: CommandCounts = { reads: 0, writes: 0, byCommand: {} };
  for (const m of info.matchAll(/^cmdstat_([a-z|_-]+):calls=(\d+)/gm)) {
    const name = m[1]!.split("|")[0]!;
    if (IGNORED.has(name)) continue;
    const calls = Number(m[2]);
    out.byCommand[name] = (out.byCommand[name] ?? 0) + calls;
    if (WRAPPERS.has(name)) continue;
    if (WRITES.has(name)) out.writes += calls;
    else out.reads += calls;
  }
  return out;
}

/** Bytes Redis holds for all keys (call on a database holding exactly the sessions to measure), with each key's share. */
export async function memoryOfAllKeys(
  client: RedisClientType,
): Promise<{ bytes: number; keys: string[] }> {
  const names: string[] = [];
  for await (const batch of client.scanIterator({ COUNT: 1000 })) names.push(...batch);
  let bytes = 0;
  const keys: string[] = [];
  for (const key of names.sort()) {
    const b = (await client.memoryUsage(key, { SAMPLES: 0 })) ?? 0;
    bytes += b;
    keys.push(`${key} (${await client.type(key)}, ${b} B)`);
  }
  return { bytes, keys };
}
