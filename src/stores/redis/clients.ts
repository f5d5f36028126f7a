/**
 * One thin shim per client family, so the store speaks to any of them through
 * {@link RedisCommandSender}: node-redis (client, cluster, sentinel) and
 * ioredis (client, cluster). Client types are structural — the subset of each
 * library we call — so neither package is needed to compile or install.
 */

/** What the store needs from a Redis client: one command, routed by its key. */
export interface RedisCommandSender {
  /**
   * Sends one command to the node that owns `key` (its hash slot on a cluster).
   * `signal` aborts it when the store gives up waiting: node-redis then drops
   * it from its queue, so it cannot run later, after the caller was told it failed.
   */
  send(key: string, args: readonly string[], signal: AbortSignal): Promise<unknown>;
  /** Closes the connection if the store opened it; a client the user passed stays open. */
  close(): Promise<void>;
  /** A cluster: a keyless command such as SCAN would see one node only. */
  cluster?: boolean;
  /**
   * On a cluster: one sender per master, for keyless commands that must
   * visit every node (SCAN). Undefined when the client cannot list them.
   */
  masters?(): Promise<MasterSender[]>;
}

/** Sends a keyless command to one node. */
export type MasterSender = (args: readonly string[], signal: AbortSignal) => Promise<unknown>;

/** node-redis per-command options (`CommandOptions`): the part we pass. */
export interface NodeRedisCommandOptions {
  abortSignal?: AbortSignal;
  /** node-redis 6: a per-command deadline; 0 turns it off. */
  timeout?: number;
}

/** The subset of a node-redis `createClient()` client we use. */
export interface NodeRedisClientLike {
  sendCommand(args: string[], options?: NodeRedisCommandOptions): Promise<unknown>;
  readonly isReady?: boolean;
  close?(): Promise<unknown>;
  destroy?(): unknown;
}

/** The subset of a node-redis `createCluster()` cluster we use. */
export interface NodeRedisClusterLike {
  sendCommand(
    firstKey: string,
    isReadonly: boolean | undefined,
    args: string[],
    options?: NodeRedisCommandOptions,
  ): Promise<unknown>;
  readonly masters: unknown;
  /** node-redis 5+: the client of one node of `masters`, connected on demand. */
  nodeClient?(node: never): NodeRedisClientLike | Promise<NodeRedisClientLike>;
  readonly isReady?: boolean;
  close?(): Promise<unknown>;
  destroy?(): unknown;
}

/** The subset of a node-redis `createSentinel()` client we use. */
export interface NodeRedisSentinelLike {
  sendCommand(
    isReadonly: boolean | undefined,
    args: string[],
    options?: NodeRedisCommandOptions,
  ): Promise<unknown>;
  getMasterNode(): unknown;
  readonly isReady?: boolean;
  close?(): Promise<unknown>;
  destroy?(): unknown;
}

/** The subset of an ioredis `Redis` or `Cluster` we use (both route by key themselves). */
export interface IoRedisLike {
  call(command: string, ...args: string[]): Promise<unknown>;
  readonly isCluster: boolean;
  /** ioredis `Cluster`: its connection to each node of a role. */
  nodes?(role: "master"): { call(command: string, ...args: string[]): Promise<unknown> }[];
  quit?(): Promise<unknown>;
  disconnect?(): unknown;
  /** ioredis connection state: "ready" when connected. */
  readonly status?: string;
}

/** Any client the Redis store accepts. */
export type RedisClientLike =
  | NodeRedisClientLike
  | NodeRedisClusterLike
  | NodeRedisSentinelLike
  | IoRedisLike;

function isIoRedis(c: RedisClientLike): c is IoRedisLike {
  return typeof (c as IoRedisLike).call === "function" && "isCluster" in c;
}
function isCluster(c: RedisClientLike): c is NodeRedisClusterLike {
  return "masters" in c && typeof (c as NodeRedisClusterLike).sendCommand === "function";
}
function isSentinel(c: RedisClientLike): c is NodeRedisSentinelLike {
  return typeof (c as NodeRedisSentinelLike).getMasterNode === "function";
}

/** Also the name the store reports for the client family, e.g. in errors. */
export function describeClient(c: RedisClientLike): string {
  if (isIoRedis(c)) return c.isCluster ? "ioredis cluster" : "ioredis";
  if (isCluster(c)) return "node-redis cluster";
  if (isSentinel(c)) return "node-redis sentinel";
  return "node-redis";
}

/**
 * Wraps a client. `owned`: the store created it and closes it on `close()`;
 * otherwise closing the store leaves the user's client alone.
 */
export function senderFor(client: RedisClientLike, owned: boolean): RedisCommandSender {
  let send: RedisCommandSender["send"];
  // One options object per deadline slice, not per command. `timeout: 0`: node-redis 6 would
  // otherwise give every command its own `AbortSignal.timeout(5000)` (a signal, a timer and a
  // listener per command, the largest cost of a command in a CPU profile), while the store's
  // deadlines (deadlines.ts) already bound every command. node-redis 5 ignores the option.
  let lastSignal: AbortSignal | null = null;
  let options: NodeRedisCommandOptions = {};
  const optionsFor = (abortSignal: AbortSignal): NodeRedisCommandOptions => {
    if (abortSignal !== lastSignal) {
      lastSignal = abortSignal;
      options = { abortSignal, timeout: 0 };
    }
    return options;
  };
  if (isIoRedis(client)) {
    // ioredis has no per-command abort: its own enableOfflineQueue: false keeps commands from queueing.
    send = (_key, args) => client.call(args[0]!, ...args.slice(1));
  } else if (isCluster(client)) {
    send = (key, args, signal) => client.sendCommand(key, false, [...args], optionsFor(signal));
  } else if (isSentinel(client)) {
    // Every command goes to the master: an authentication read from a lagging
    // replica could see a session that was just revoked (REL-04).
    send = (_key, args, signal) => client.sendCommand(false, [...args], optionsFor(signal));
  } else {
    const c = client as NodeRedisClientLike;
    send = (_key, args, signal) => c.sendCommand([...args], optionsFor(signal));
  }
  let masters: RedisCommandSender["masters"];
  if (isIoRedis(client) && client.isCluster && client.nodes) {
    const nodes = client.nodes.bind(client);
    masters = async () =>
      nodes("master").map((n) => (args: readonly string[]) => n.call(args[0]!, ...args.slice(1)));
  } else if (isCluster(client) && client.nodeClient) {
    const nodeClient = client.nodeClient.bind(client) as (
      node: unknown,
    ) => NodeRedisClientLike | Promise<NodeRedisClientLike>;
    masters = async () =>
      Promise.all(
        (client.masters as unknown[]).map(async (m) => {
          const c = await nodeClient(m);
          return (args: readonly string[], signal: AbortSignal) =>
            c.sendCommand([...args], optionsFor(signal));
        }),
      );
  }
  return {
    send,
    ...(masters ? { masters } : {}),
    cluster: isCluster(client) || (isIoRedis(client) && client.isCluster),
    close: async () => {
      if (!owned) return;
      if (isIoRedis(client)) {
        // QUIT waits for replies in flight; while reconnecting there is no one to answer it.
        if (client.status === "ready" && client.quit) await client.quit();
        else client.disconnect?.();
        return;
      }
      const c = client as NodeRedisClientLike;
      // close() waits for replies in flight; destroy() when the server is gone and waiting would hang.
      if (c.close && c.isReady !== false) await c.close();
      else await c.destroy?.();
    },
  };
}
