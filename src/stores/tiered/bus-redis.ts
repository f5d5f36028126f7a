/**
 * The near cache's invalidation bus over Redis pub/sub (node-redis): one
 * connection subscribed to the channel, one to publish on. Both fail fast
 * (`disableOfflineQueue`, a deadline per publish) and reconnect by themselves;
 * while the subscriber is away the near caches are bypassed (`onLost`), and
 * node-redis subscribes again when it is back.
 */
import { StoreUnavailableError } from "../../core/errors.js";
import { importDriver } from "../../util/driver.js";
import { backoff } from "../redis/connect.js";
import type { InvalidationBus } from "./bus.js";

/** The subset of a node-redis client the bus uses. */
interface NodeRedisPubSubClient {
  connect(): Promise<unknown>;
  destroy(): unknown;
  close?(): Promise<unknown>;
  on(event: string, listener: (arg?: unknown) => void): unknown;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  sendCommand(args: string[], options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

interface NodeRedisModule {
  createClient(options: object): NodeRedisPubSubClient;
}

export interface RedisBusOptions {
  /** `redis://host:port[/db]` of any Redis that every process reaches (pub/sub ignores the db number). */
  url: string;
  /** @default "cloakroom:invalidate" */
  channel?: string;
  /** Deadline of one publish and of connecting, ms. @default 2000 */
  timeout?: number;
  /** `CLIENT SETNAME` of both connections, so operators (and tests) can tell them apart. @default "cloakroom-near-cache" */
  clientName?: string;
}

export function createRedisBus(options: RedisBusOptions): InvalidationBus {
  const channel = options.channel ?? "cloakroom:invalidate";
  const timeout = options.timeout ?? 2000;
  let pub: NodeRedisPubSubClient | undefined;
  let sub: NodeRedisPubSubClient | undefined;
  /** Set by close(): the connections' own end is then no loss to report. */
  let closed = false;
  const open = async (onError: (err: unknown) => void) => {
    const redis = await importDriver<NodeRedisModule>("redis", "The near cache's Redis channel");
    const client = redis.createClient({
      url: options.url,
      disableOfflineQueue: true,
      name: options.clientName ?? "cloakroom-near-cache",
      socket: { connectTimeout: timeout, reconnectStrategy: backoff },
    });
    client.on("error", onError);
    try {
      await client.connect();
    } catch (err) {
      await Promise.resolve(client.destroy()).catch(() => undefined);
      throw new StoreUnavailableError(`near cache channel redis: ${(err as Error)?.message}`, {
        cause: err,
      });
    }
    return client;
  };
  return {
    kind: "redis",
    async start(onMessage, onLost) {
      pub = await open(() => {}); // a failed publish rejects on its own
      const lost = (err: unknown) => {
        if (!closed) onLost(err);
      };
      sub = await open(lost);
      // Any gap in the subscription may have dropped messages.
      sub.on("reconnecting", () => lost(new Error("redis channel reconnecting")));
      sub.on("end", () => lost(new Error("redis channel closed")));
      await sub.subscribe(channel, onMessage);
    },
    async publish(payload) {
      if (!pub) throw new StoreUnavailableError("near cache channel redis: not started");
      await pub.sendCommand(["PUBLISH", channel, payload], {
        abortSignal: AbortSignal.timeout(timeout),
      });
    },
    async close() {
      closed = true;
      await Promise.all(
        [pub, sub].map((c) => (c ? Promise.resolve(c.destroy()).catch(() => undefined) : null)),
      );
      pub = sub = undefined;
    },
  };
}
