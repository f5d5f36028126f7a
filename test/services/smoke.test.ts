/**
 * Every server the suites need answers a real round trip through the same
 * drivers the stores use, at the URLs in test/support/services.ts. When one
 * of these is red, start it with `npm run services` (scripts/services.sh);
 * under CLOAKROOM_REQUIRE_SERVICES=1 (CI) an unreachable one fails here first,
 * with a message naming it, instead of as a puzzle deep in a store suite.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, constants, mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import memjs from "memjs";
import mysql from "mysql2/promise";
import pg from "pg";
import { createClient } from "redis";
import { expect, it } from "vitest";
import { CHROMIUM_ARGS } from "../../scripts/chromium-args.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";

const run = promisify(execFile);

async function redisPing(): Promise<string> {
  // reconnectStrategy false: a down server must reject, not retry forever.
  const client = createClient({
    url: SERVICE_URLS.redis,
    socket: { reconnectStrategy: false, connectTimeout: 2000 },
  });
  client.on("error", () => {}); // the rejected connect() carries the error
  await client.connect();
  try {
    return await client.ping();
  } finally {
    client.destroy();
  }
}

async function pgSelectOne(): Promise<unknown> {
  const client = new pg.Client({
    connectionString: SERVICE_URLS.postgres,
    connectionTimeoutMillis: 2000,
  });
  await client.connect();
  try {
    return (await client.query<{ one: number }>("SELECT 1 AS one")).rows[0]?.one;
  } finally {
    await client.end();
  }
}

async function mysqlSelectOne(): Promise<unknown> {
  const conn = await mysql.createConnection({ uri: SERVICE_URLS.mysql, connectTimeout: 2000 });
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>("SELECT 1 AS one");
    return rows[0]?.one;
  } finally {
    await conn.end();
  }
}

const memcachedAddress = new URL(SERVICE_URLS.memcached);
const memcachedHost = memcachedAddress.hostname;
const memcachedPort = Number(memcachedAddress.port || 11211);

/** The text protocol's `stats` over a raw socket: resolves to its STAT lines as a map. */
function memcachedStats(): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: memcachedHost, port: memcachedPort });
    let buffer = "";
    socket.setTimeout(2000, () => socket.destroy(new Error("stats: no answer in 2000 ms")));
    socket.on("error", reject);
    socket.on("connect", () => socket.write("stats\r\n"));
    socket.on("data", (chunk) => {
      buffer += chunk.toString("latin1");
      if (!buffer.endsWith("END\r\n")) return;
      socket.end();
      const stats = new Map<string, string>();
      for (const line of buffer.split("\r\n")) {
        const [tag, name, ...value] = line.split(" ");
        if (tag === "STAT" && name !== undefined) stats.set(name, value.join(" "));
      }
      resolve(stats);
    });
  });
}

async function chromiumVersion(): Promise<string> {
  await access(SERVICE_URLS.chromium, constants.X_OK);
  return (await run(SERVICE_URLS.chromium, ["--version"], { timeout: 10_000 })).stdout.trim();
}

const [redisDown, postgresDown, mysqlDown, memcachedDown, chromiumDown] = await Promise.all([
  probe("redis PING", redisPing),
  probe("postgres SELECT 1", pgSelectOne),
  probe("mysql SELECT 1", mysqlSelectOne),
  probe("memcached stats", memcachedStats),
  probe("chromium --version", chromiumVersion, 10_000),
]);

describeWithService("Redis", redisDown, `redis at ${SERVICE_URLS.redis}`, () => {
  it("answers PING with PONG through node-redis", async () => {
    expect(await redisPing()).toBe("PONG");
  });
});

describeWithService("PostgreSQL", postgresDown, `postgres at ${SERVICE_URLS.postgres}`, () => {
  it("answers SELECT 1 through pg, in database test", async () => {
    expect(await pgSelectOne()).toBe(1);
  });
});

describeWithService("MariaDB/MySQL", mysqlDown, `mysql at ${SERVICE_URLS.mysql}`, () => {
  it("answers SELECT 1 through mysql2 as root with an empty password", async () => {
    expect(Number(await mysqlSelectOne())).toBe(1);
  });
});

describeWithService("Memcached", memcachedDown, `memcached at ${SERVICE_URLS.memcached}`, () => {
  it("answers stats with its pid and version", async () => {
    const stats = await memcachedStats();
    expect(Number(stats.get("pid"))).toBeGreaterThan(0);
    expect(stats.get("version")).toMatch(/^\d+\.\d+/);
  });

  it("round-trips a value through memjs (the binary protocol the store speaks)", async () => {
    const client = memjs.Client.create(`${memcachedHost}:${memcachedPort}`, {
      retries: 0,
      timeout: 2,
      logger: { log: () => {} },
    });
    try {
      const key = `cloakroom-smoke-${randomBytes(8).toString("hex")}`;
      expect(await client.set(key, "ticket", { expires: 30 })).toBe(true);
      expect((await client.get(key)).value?.toString()).toBe("ticket");
      expect(await client.delete(key)).toBe(true);
      expect((await client.get(key)).value).toBeNull();
    } finally {
      client.close();
    }
  });
});

describeWithService("Chromium", chromiumDown, `chromium at ${SERVICE_URLS.chromium}`, () => {
  it("runs --version", async () => {
    expect(await chromiumVersion()).toMatch(/^Chromium \d+\./);
  });

  it("renders a page headless", async () => {
    const profile = await mkdtemp(join(tmpdir(), "cloakroom-chromium-"));
    try {
      const { stdout } = await run(
        SERVICE_URLS.chromium,
        [
          ...CHROMIUM_ARGS,
          `--user-data-dir=${profile}`,
          "--dump-dom",
          "data:text/html,<p id=x>cloak<b>room</b></p>",
        ],
        { timeout: 30_000 },
      );
      expect(stdout).toContain('<p id="x">cloak<b>room</b></p>');
    } finally {
      await rm(profile, { recursive: true, force: true });
    }
  });
});
