/**
 * Instructions Redis executes per session write, counted by valgrind's
 * callgrind on a private redis-server: a count that does not move with the
 * machine's load (wall-clock µs on a shared 2-core machine do), so it is the
 * before/after figure for changes to the Lua scripts. For each session size
 * (1 KiB and 32 KiB of data in 32 fields): the PATCH script writing one small
 * key (what Cloakroom's store sends), and connect-redis 9's `set()` of the
 * same session (what express-session sends on a write).
 *
 *   npx tsx bench/redis-write-instructions.ts [scripts-module] [writes=2000]
 *
 * `scripts-module` defaults to the built package's dist/stores/redis/scripts.js;
 * pass a copy of an older scripts.ts to count the "before".
 */
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { RedisStore as ConnectRedisStore } from "connect-redis";
import type { SessionData } from "express-session";
import { createClient } from "redis";

const modulePath = resolve(process.argv[2] ?? "dist/stores/redis/scripts.js");
const WRITES = Number(process.argv[3] ?? 2000);
const PORT = Number(process.env.BENCH_CALLGRIND_PORT ?? 6640);
const HOUR = 3_600_000;
const outDir = `/tmp/cloakroom-callgrind-${process.pid}`;

interface ScriptsModule {
  CREATE: { body: string };
  PATCH: { body: string; sha: string };
  /** The patch without a touch (most writes), when the module has one; older ones used PATCH. */
  PATCH_DATA?: { body: string; sha: string };
}
const scripts = (await import(pathToFileURL(modulePath).href)) as ScriptsModule;
const { encodeSession } = await import("../src/stores/redis/layout.js");

execFileSync("mkdir", ["-p", outDir]);
const server = spawn(
  "valgrind",
  [
    "--tool=callgrind",
    `--callgrind-out-file=${outDir}/callgrind.out.%p`,
    "redis-server",
    "--port",
    String(PORT),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
  ],
  { stdio: "ignore" },
);
process.once("exit", () => server.kill("SIGKILL"));

const client = createClient({
  url: `redis://127.0.0.1:${PORT}`,
  socket: { reconnectStrategy: false },
});
client.on("error", () => undefined);
for (let n = 0; ; n++) {
  try {
    await client.connect();
    break;
  } catch {
    if (n > 600) throw new Error("redis-server under valgrind did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Total instructions (Ir) callgrind counted since the last zeroing. */
function dumpIr(): number {
  for (const f of readdirSync(outDir)) rmSync(`${outDir}/${f}`);
  execFileSync("callgrind_control", ["-d", String(server.pid)], { stdio: "ignore" });
  const file = readdirSync(outDir).find((f) => f.startsWith("callgrind.out"));
  if (!file) throw new Error("callgrind wrote no dump");
  const m = /^summary:\s+(\d+)/m.exec(readFileSync(`${outDir}/${file}`, "utf8"));
  return Number(m?.[1] ?? Number.NaN);
}

async function perWrite(write: () => Promise<void>): Promise<number> {
  for (let n = 0; n < 100; n++) await write();
  // An idle baseline of the same length is not needed: serverCron's share is
  // far below the per-write counts (checked: a run of PINGs costs ~1/50).
  execFileSync("callgrind_control", ["-z", String(server.pid)], { stdio: "ignore" });
  for (let n = 0; n < WRITES; n++) await write();
  return dumpIr() / WRITES;
}

function dataOf(bytes: number): Record<string, string> {
  const out: Record<string, string> = {};
  const per = Math.floor(bytes / 32);
  for (let n = 0; n < 32; n++) out[`k${n}`] = JSON.stringify("x".repeat(per - 6));
  return out;
}

const rows: string[] = [];
try {
  const connect = new ConnectRedisStore({ client });
  const ping = await perWrite(async () => {
    await client.ping();
  });
  rows.push(`| PING (round trip floor) | – | ${ping.toFixed(0)} |`);
  // The floor of any script: EVALSHA of `return 1`.
  const trivial = String(await client.sendCommand(["SCRIPT", "LOAD", "return 1"]));
  const evalFloor = await perWrite(async () => {
    await client.sendCommand(["EVALSHA", trivial, "1", "x"]);
  });
  rows.push(`| EVALSHA of \`return 1\` (script floor) | – | ${evalFloor.toFixed(0)} |`);
  // "small": the bench's session ({ counter } and a user), below the size
  // from which a record keeps its running size `s`.
  for (const kib of ["small", 1, 32] as const) {
    const data = kib === "small" ? { counter: "0" } : dataOf(kib * 1024);
    const now = Date.now();
    const key = `cr:write-cost-${kib}`;
    const fields = encodeSession({
      data,
      userId: "user-42",
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: now + HOUR,
      absoluteExpiresAt: now + 24 * HOUR,
      ip: null,
      userAgent: null,
    });
    await client.sendCommand([
      "EVAL",
      scripts.CREATE.body,
      "1",
      key,
      String(now + HOUR),
      ...fields,
    ]);
    const write = scripts.PATCH_DATA ?? scripts.PATCH;
    await client.sendCommand(["SCRIPT", "LOAD", write.body]);
    let counter = 0;
    const patch = await perWrite(async () => {
      const r = await client.sendCommand([
        "EVALSHA",
        write.sha,
        "1",
        key,
        String(Date.now()),
        String(64 * 1024),
        "",
        "",
        "1",
        ":counter",
        String(++counter),
      ]);
      if (Number(r) !== 1) throw new Error(`PATCH answered ${String(r)}`);
    });
    const size = kib === "small" ? "small" : `${kib} KiB`;
    rows.push(`| Cloakroom patch script, one small key | ${size} | ${patch.toFixed(0)} |`);
    const sess = {
      cookie: { originalMaxAge: HOUR, expires: new Date(now + HOUR), httpOnly: true, path: "/" },
      ...Object.fromEntries(Object.entries(data).map(([k, v]) => [k, JSON.parse(v)])),
    } as unknown as SessionData;
    const set = await perWrite(async () => {
      (sess as unknown as Record<string, number>).counter = ++counter;
      await new Promise<void>((ok, fail) =>
        connect.set(`write-cost-${kib}`, sess, (err) => (err ? fail(err) : ok())),
      );
    });
    rows.push(`| connect-redis set() (SET of the whole session) | ${size} | ${set.toFixed(0)} |`);
  }
} finally {
  client.destroy();
  server.kill("SIGTERM");
}
console.log(`scripts: ${modulePath}; ${WRITES} writes per row (EVALSHA)`);
console.log("| write | session | Redis instructions per write |");
console.log("|---|---|--:|");
for (const r of rows) console.log(r);
