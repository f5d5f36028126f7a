/**
 * `cloakroom-sessions/stores/redis`: sessions in Redis or Valkey — standalone, behind
 * Sentinel, or on Redis Cluster — through node-redis or ioredis.
 * Layout, costs and atomicity: store.ts and docs/redis.md.
 */
import { ConfigurationError } from "../../core/errors.js";
import { StoreLog } from "../shared/store-log.js";
import { describeClient, type RedisClientLike, senderFor } from "./clients.js";
import { openRedis, type RedisDriver } from "./connect.js";
import { RedisStore, type RedisStoreSettings } from "./store.js";
import { parseRedisUrl } from "./url.js";

export type {
  IoRedisLike,
  NodeRedisClientLike,
  NodeRedisClusterLike,
  NodeRedisCommandOptions,
  NodeRedisSentinelLike,
  RedisClientLike,
} from "./clients.js";
export type { RedisDriver } from "./connect.js";
export { RedisStore, type RedisStoreSettings } from "./store.js";
export type { ParsedRedisUrl, RedisEndpoint, RedisTopology } from "./url.js";
export { parseRedisUrl } from "./url.js";

export interface RedisStoreOptions extends RedisStoreSettings {
  /**
   * A store URL; the store opens (and on `close()` closes) a client for it
   * (see `driver`). One of `url` or `client` is required.
   * @example "redis://127.0.0.1:6379/0", "redis+cluster://10.0.0.1:7000,10.0.0.2:7000"
   */
  url?: string;
  /**
   * The library that opens `url`. `"auto"`: node-redis, or ioredis for
   * `redis://` and `rediss://` when only ioredis is installed (both cost the
   * same per request, measured). `"ioredis"` for standalone URLs only;
   * `redis+cluster://` and `redis+sentinel://` always open through
   * node-redis. Also the URL parameter `?driver=ioredis`.
   * @default "auto"
   */
  driver?: RedisDriver;
  /**
   * Your own connected client: node-redis `createClient()`, `createCluster()`
   * or `createSentinel()`, or an ioredis `Redis` or `Cluster`. The store
   * never closes it. Configure it to fail fast (node-redis
   * `disableOfflineQueue: true`; ioredis `enableOfflineQueue: false`), or
   * calls wait for `commandTimeout` while Redis is down.
   */
  client?: RedisClientLike;
  /** Longest wait for a connection (first one and each reconnect attempt), ms. @default 2000 */
  connectTimeout?: number;
  /**
   * Receives connection errors of a client the store opened (they also reject
   * the calls that meet them). @default the first error after each success, as a warning through the manager's logger
   */
  onConnectionError?: (err: unknown) => void;
}

/**
 * A Redis session store from a URL or a client you already have.
 * @example
 * const store = await createRedisStore({ url: "redis://127.0.0.1:6379/0" });
 * const store = await createRedisStore({ client: new Redis(), keyPrefix: "app:s:" }); // ioredis
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  for (const name of ["connectTimeout", "commandTimeout"] as const) {
    const v = options[name];
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
      throw new ConfigurationError(`redis store: ${name} must be a positive number of ms`);
    }
  }
  const acks = options.replicaAcks ?? 0;
  if (!(Number.isInteger(acks) && acks >= 0)) {
    throw new ConfigurationError("redis store: replicaAcks must be a whole number of replicas");
  }
  if (
    acks > 0 &&
    options.client !== undefined &&
    describeClient(options.client) === "ioredis cluster"
  ) {
    throw new ConfigurationError(
      "redis store: replicaAcks needs WAIT on the node that took each write, which an ioredis Cluster cannot route; use node-redis createCluster()",
    );
  }
  if (options.client !== undefined) {
    return new RedisStore(
      senderFor(options.client, false),
      options,
      describeClient(options.client),
    );
  }
  if (options.url === undefined) {
    throw new ConfigurationError("redis store: pass a url or a client");
  }
  const driver = options.driver ?? "auto";
  if (driver !== "auto" && driver !== "ioredis" && driver !== "node-redis") {
    throw new ConfigurationError(
      `redis store: driver must be "auto", "ioredis" or "node-redis", not ${JSON.stringify(driver)}`,
    );
  }
  const url = parseRedisUrl(options.url);
  const log = new StoreLog();
  const client = await openRedis(
    url,
    {
      connectTimeout: options.connectTimeout ?? 2000,
      onError: options.onConnectionError ?? warnOnce(log),
    },
    driver,
  );
  return new RedisStore(
    senderFor(client, true),
    options,
    `redis ${url.topology} (${describeClient(client)})`,
    log,
  );
}

/** One warning per outage, not one per reconnect attempt. */
function warnOnce(log: StoreLog): (err: unknown) => void {
  let last = "";
  return (err) => {
    const text = String((err as Error)?.message ?? err);
    if (text === last) return;
    last = text;
    log.warn(`cloakroom: redis connection error: ${text}`);
  };
}
