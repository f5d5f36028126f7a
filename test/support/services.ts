/**
 * Which servers the tests can reach. A test file probes its service once with
 * a real round trip (PING, SELECT 1), never a sleep. When the probe fails the
 * tests are skipped with a clear reason — or, with
 * CLOAKROOM_REQUIRE_SERVICES=1 (CI), they fail.
 */
import { describe, it } from "vitest";

export const REQUIRE_SERVICES = process.env.CLOAKROOM_REQUIRE_SERVICES === "1";

/** URLs of the services, overridable by environment. */
export const SERVICE_URLS = {
  redis: process.env.CLOAKROOM_TEST_REDIS ?? "redis://127.0.0.1:6379/0",
  redisCluster:
    process.env.CLOAKROOM_TEST_REDIS_CLUSTER ??
    "redis+cluster://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002",
  redisSentinel:
    process.env.CLOAKROOM_TEST_REDIS_SENTINEL ??
    "redis+sentinel://127.0.0.1:26379,127.0.0.1:26380,127.0.0.1:26381/cloakroom",
  postgres: process.env.CLOAKROOM_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test",
  mysql: process.env.CLOAKROOM_TEST_MYSQL ?? "mysql://root@127.0.0.1:3306/test",
  memcached: process.env.CLOAKROOM_TEST_MEMCACHED ?? "memcached://127.0.0.1:11211",
  chromium: process.env.CLOAKROOM_TEST_CHROMIUM ?? "/usr/bin/chromium",
} as const;

/** Runs `probe` with a deadline; resolves to an error message, or null when the service answered. */
export async function probe(
  what: string,
  fn: () => Promise<unknown>,
  timeoutMs = 3000,
): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return null;
  } catch (err) {
    return `${what}: ${(err as Error)?.message ?? String(err)}`;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `describe` that runs when the service answered its probe. Otherwise it
 * registers one skipped test naming the service and the reason — or, under
 * CLOAKROOM_REQUIRE_SERVICES=1, one failing test.
 */
export function describeWithService(
  service: string,
  unavailable: string | null,
  name: string,
  body: () => void,
): void {
  if (unavailable === null) {
    describe(name, body);
    return;
  }
  if (REQUIRE_SERVICES) {
    describe(name, () => {
      it(`needs ${service}`, () => {
        throw new Error(
          `${service} is required (CLOAKROOM_REQUIRE_SERVICES=1) but unreachable: ${unavailable}`,
        );
      });
    });
    return;
  }
  console.warn(
    `SKIPPED ${name}: ${service} not reachable (${unavailable}); start it with npm run services`,
  );
  describe.skip(`${name} [SKIPPED: ${service} not reachable]`, body);
}

/** The shared Redis's probe: a real PING through node-redis, with no reconnect attempts. */
export function redisUnavailable(url: string = SERVICE_URLS.redis): Promise<string | null> {
  return probe("redis", async () => {
    const { createClient } = await import("redis");
    const c = createClient({ url, socket: { connectTimeout: 1000, reconnectStrategy: false } });
    c.on("error", () => undefined);
    await c.connect();
    try {
      await c.ping();
    } finally {
      c.destroy();
    }
  });
}
