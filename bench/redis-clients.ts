/**
 * Node CPU per store call with each Redis client the store supports, through
 * the built package: node-redis 6 (what a `redis://` URL opens), ioredis
 * (`?driver=ioredis`) and node-redis 5 (the `redis5` alias package, a
 * client passed in). One `get` (HGETALL) and one `patch` (EVALSHA) of a
 * signed-in session at a time, rounds alternating the clients so the shared
 * machine's drift spreads over both; CPU is this process's `cpuUsage`.
 *
 *   npm run build && npx tsx bench/redis-clients.ts [calls=5000] [rounds=4]
 */
import { createStore, type SessionStore } from "cloakroom-sessions";
import { createRedisStore } from "cloakroom-sessions/stores/redis";
import { createClient as createClient5 } from "redis5";
import { startPrivateRedis } from "./lib/private-redis.js";

const CALLS = Number(process.argv[2] ?? 5000);
const ROUNDS = Number(process.argv[3] ?? 4);
const HOUR = 3_600_000;
const version = async (pkg: string) =>
  (
    (await import(`${pkg}/package.json`, { with: { type: "json" } })) as {
      default: { version: string };
    }
  ).default.version;

const redis = await startPrivateRedis(Number(process.env.BENCH_REDIS_PORT ?? 6650), 1);
const nr5 = createClient5({ url: redis.url, disableOfflineQueue: true });
await nr5.connect();
const clients: [string, SessionStore][] = [
  [
    `node-redis ${await version("redis")} (from the URL: the default)`,
    await createStore(redis.url),
  ],
  [
    `ioredis ${await version("ioredis")} (from the URL, ?driver=ioredis)`,
    await createStore(`${redis.url}?driver=ioredis`),
  ],
  [
    `node-redis ${await version("redis5")} (client passed in)`,
    await createRedisStore({ client: nr5 }),
  ],
];
const key = "bench-clients".padEnd(43, "x");
const now = Date.now();
await clients[0]![1].create(key, {
  data: { counter: "0", cart: "[1,2,3]" },
  userId: "user-42",
  createdAt: now,
  lastSeenAt: now,
  idleExpiresAt: now + HOUR,
  absoluteExpiresAt: now + 24 * HOUR,
  ip: null,
  userAgent: null,
});

async function cpuPer(fn: () => Promise<unknown>): Promise<number> {
  const c0 = process.cpuUsage();
  for (let n = 0; n < CALLS; n++) await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / CALLS;
}

const results = new Map<string, { get: number[]; patch: number[] }>();
let counter = 0;
for (let r = 0; r <= ROUNDS; r++) {
  for (const [name, store] of r % 2 === 0 ? clients : [...clients].reverse()) {
    const get = await cpuPer(() => store.get(key, Date.now()));
    const patch = await cpuPer(() =>
      store.patch(
        key,
        { set: { counter: String(++counter) }, unset: [], maxBytes: 4096 },
        Date.now(),
      ),
    );
    if (r === 0) continue; // warm-up
    const row = results.get(name) ?? { get: [], patch: [] };
    row.get.push(get);
    row.patch.push(patch);
    results.set(name, row);
  }
}
for (const [, store] of clients) await store.close?.();
nr5.destroy();
await redis.stop();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(`${CALLS} calls × ${ROUNDS} rounds; medians of Node CPU µs per call (this process)`);
console.log("| client | get (HGETALL) | patch (EVALSHA) |");
console.log("|---|--:|--:|");
for (const [name, r] of results) {
  console.log(`| ${name} | ${median(r.get).toFixed(1)} | ${median(r.patch).toFixed(1)} |`);
}
