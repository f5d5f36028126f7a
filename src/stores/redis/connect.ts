/**
 * Opens a client from a parsed store URL — node-redis, or ioredis for a
 * standalone server when asked for or when only it is installed —
 * configured to fail fast and heal by itself:
 * - `connectTimeout` bounds each connection attempt;
 * - `disableOfflineQueue`: while disconnected a command is refused at once
 *   instead of waiting in a queue until Redis returns (node-redis queues
 *   forever by default, which hangs requests: connect-redis #54);
 * - reconnection with capped exponential backoff, forever, so service resumes
 *   without a restart when Redis is back.
 */
import {
  ConfigurationError,
  MissingDriverError,
  StoreUnavailableError,
} from "../../core/errors.js";
import { importDriver } from "../../util/driver.js";
import type { RedisClientLike } from "./clients.js";
import type { ParsedRedisUrl } from "./url.js";

interface Connectable {
  connect(): Promise<unknown>;
  destroy(): unknown;
  on(event: "error", listener: (err: unknown) => void): unknown;
}

/** The factories of the `redis` package we call, typed structurally. */
interface NodeRedisModule {
  createClient(options: object): Connectable;
  createCluster(options: object): Connectable;
  createSentinel(options: object): Connectable;
}

/** The ioredis constructor we call, typed structurally. */
interface IoRedisModule {
  Redis: new (options: object) => Connectable & { disconnect(): void; connect(): Promise<void> };
}

/** How a driver package is imported: `importDriver`, or a test's stand-in. */
export type DriverLoader = <T>(packageName: string, purpose: string) => Promise<T>;

/**
 * Which client library opens a URL: `"auto"` is node-redis, or ioredis for
 * `redis://` and `rediss://` when only ioredis is installed.
 */
export type RedisDriver = "auto" | "ioredis" | "node-redis";

/**
 * Opens the URL with the driver asked for. `"auto"` takes node-redis when it
 * can be imported: measured end to end (docs/benchmarks.md, "Redis
 * clients"), ioredis at its best settings costs the same per request, and
 * node-redis also aborts a command the store gave up on. Cluster and Sentinel
 * always open through node-redis (its routing of `WAIT` and its Sentinel
 * client are what the failover tests prove).
 */
export async function openRedis(
  url: ParsedRedisUrl,
  settings: ConnectSettings,
  driver: RedisDriver,
  /** How drivers are imported (a test passes one that lacks a package). */
  load: DriverLoader = importDriver,
): Promise<RedisClientLike> {
  if (driver === "ioredis" && url.topology !== "standalone") {
    throw new ConfigurationError(
      `redis store: driver "ioredis" opens redis:// and rediss:// URLs only; ${url.topology} URLs open through node-redis`,
    );
  }
  if (driver === "ioredis") {
    return openIoRedis(await load<IoRedisModule>("ioredis", "The Redis store"), url, settings);
  }
  try {
    return await openNodeRedis(url, settings, load);
  } catch (err) {
    if (!(driver === "auto" && url.topology === "standalone" && err instanceof MissingDriverError))
      throw err;
    // Neither installed: the error names node-redis, the one to install.
    const io = await load<IoRedisModule>("ioredis", "The Redis store").catch(() => {
      throw err;
    });
    return openIoRedis(io, url, settings);
  }
}

/**
 * ioredis, set to fail fast like the node-redis client below, and as cheap
 * per request (measured): RESP2 (ioredis 6's RESP3 reply decoder cost 14%
 * of the request rate on a session read) and auto-pipelining (commands of
 * one tick leave in one write, as node-redis sends them).
 * - `enableOfflineQueue: false`: refused at once while disconnected;
 * - `maxRetriesPerRequest: 0` and `autoResendUnfulfilledCommands: false`: a
 *   command in flight when the connection drops is rejected then, never
 *   sent again after the reconnect — ioredis has no per-command abort, so
 *   this is what keeps a write the caller was told had failed from running
 *   later;
 * - the same backoff, forever.
 */
async function openIoRedis(
  io: IoRedisModule,
  url: ParsedRedisUrl,
  settings: ConnectSettings,
): Promise<RedisClientLike> {
  const [node] = url.nodes;
  const client = new io.Redis({
    host: node!.host,
    port: node!.port,
    ...(url.username !== undefined ? { username: url.username } : {}),
    ...(url.password !== undefined ? { password: url.password } : {}),
    ...(url.database !== undefined ? { db: url.database } : {}),
    ...(url.tls ? { tls: {} } : {}),
    connectTimeout: settings.connectTimeout,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableAutoPipelining: true,
    protocol: 2,
    retryStrategy: (times: number) => backoff(times - 1),
  });
  client.on("error", settings.onError);
  await connectWithin(
    {
      connect: () => client.connect(),
      destroy: () => client.disconnect(),
      on: client.on.bind(client),
    },
    settings.connectTimeout,
    url,
  );
  return client as unknown as RedisClientLike;
}

/** Delay before reconnect attempt `retries`: 50 ms doubling, capped at 2 s. */
export function backoff(retries: number): number {
  return Math.min(50 * 2 ** Math.min(retries, 10), 2000);
}

export interface ConnectSettings {
  connectTimeout: number;
  /** Called with each connection error (they also surface per call as StoreUnavailableError). */
  onError: (err: unknown) => void;
}

export async function openNodeRedis(
  url: ParsedRedisUrl,
  settings: ConnectSettings,
  load: DriverLoader = importDriver,
): Promise<RedisClientLike> {
  const redis = await load<NodeRedisModule>("redis", "The Redis store");
  const socket = {
    connectTimeout: settings.connectTimeout,
    reconnectStrategy: backoff,
    ...(url.tls ? { tls: true } : {}),
  };
  const auth = {
    ...(url.username !== undefined ? { username: url.username } : {}),
    ...(url.password !== undefined ? { password: url.password } : {}),
  };
  const common = { ...auth, disableOfflineQueue: true };
  let client: Connectable;
  if (url.topology === "cluster") {
    client = redis.createCluster({
      rootNodes: url.nodes.map((n) => ({ socket: { host: n.host, port: n.port } })),
      defaults: { ...common, socket },
    });
  } else if (url.topology === "sentinel") {
    client = redis.createSentinel({
      name: url.masterName,
      sentinelRootNodes: url.nodes,
      nodeClientOptions: {
        ...common,
        socket,
        ...(url.database !== undefined ? { database: url.database } : {}),
      },
      sentinelClientOptions: { socket: { connectTimeout: settings.connectTimeout } },
      // Sessions are read from the master only (REL-04): a replica may lag behind a logout.
      useReplicas: false,
    });
  } else {
    const [node] = url.nodes;
    client = redis.createClient({
      ...common,
      socket: { ...socket, host: node!.host, port: node!.port },
      ...(url.database !== undefined ? { database: url.database } : {}),
    });
  }
  client.on("error", settings.onError);
  await connectWithin(client, settings.connectTimeout, url);
  return client as unknown as RedisClientLike;
}

/**
 * The first connection must succeed within the timeout, so a wrong URL or a
 * Redis that is down at start-up fails `createStore` with a clear error
 * instead of a store that answers 503 forever. Errors that retrying cannot
 * fix at start-up — nothing listening (ECONNREFUSED), an unknown host, an
 * `ERR`/`WRONGPASS`/`NOAUTH` reply such as "DB index is out of range" — fail
 * at once, with the reason in the message and as `cause`; a timeout names
 * the last error seen.
 */
async function connectWithin(client: Connectable, ms: number, url: ParsedRedisUrl) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: unknown;
  let settled = false;
  const where = url.nodes.map((n) => `${n.host}:${n.port}`).join(",");
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        client.on("error", (err) => {
          if (settled) return;
          last = err;
          if (fatalAtStart(err)) reject(err);
        });
        timer = setTimeout(() => {
          const why = last === undefined ? "" : ` (last error: ${describe(last)})`;
          reject(new Error(`no connection within ${ms} ms${why}`, { cause: last }));
        }, ms);
      }),
    ]);
  } catch (err) {
    settled = true;
    await Promise.resolve(client.destroy()).catch(ignoreCloseError);
    throw new StoreUnavailableError(`redis (${url.topology} ${where}): ${describe(err)}`, {
      cause: err,
    });
  } finally {
    settled = true;
    clearTimeout(timer);
  }
}

const FATAL_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EACCES"]);

/** An error that waiting for a reconnect will not cure at start-up. */
export function fatalAtStart(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; errors?: unknown } | null;
  if (e === null || typeof e !== "object") return false;
  if (typeof e.code === "string" && FATAL_CODES.has(e.code)) return true;
  // Node's happy-eyeballs connect reports an AggregateError of per-address failures.
  if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.every(fatalAtStart);
  return typeof e.message === "string" && /^(ERR|WRONGPASS|NOAUTH|NOPERM)\b/.test(e.message);
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; errors?: unknown[] } | null;
  const message = typeof e?.message === "string" && e.message !== "" ? e.message : undefined;
  if (message !== undefined) return message;
  if (Array.isArray(e?.errors) && e.errors.length > 0) return describe(e.errors[0]);
  return typeof e?.code === "string" ? e.code : String(err);
}

/** Tearing down a client that never connected may reject; the connect error is the one to report. */
function ignoreCloseError(): void {}
