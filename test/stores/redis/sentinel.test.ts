/**
 * The store conformance suite through Redis Sentinel (master, replica and three
 * sentinels started by scripts/services/redis-sentinel.sh), with node-redis
 * opened from a `redis+sentinel://` URL. Failover itself is proved on private
 * servers in test/stores/redis/sentinel-failover.test.ts, never on these shared ones.
 */

import { storeConformance } from "cloakroom-sessions/testing";
import { createSentinel } from "redis";
import { createStore } from "../../../src/stores/create-store.js";
import { parseRedisUrl } from "../../../src/stores/redis/url.js";
import { describeWithService, probe, SERVICE_URLS } from "../../support/services.js";

const url = SERVICE_URLS.redisSentinel;
const parsed = parseRedisUrl(url);

const unavailable = await probe("redis sentinel", async () => {
  const c = createSentinel({
    name: parsed.masterName!,
    sentinelRootNodes: parsed.nodes,
    nodeClientOptions: { socket: { connectTimeout: 1000 } },
    sentinelClientOptions: { socket: { connectTimeout: 1000 } },
  });
  c.on("error", () => undefined);
  try {
    await c.connect();
    if (String(await c.sendCommand(false, ["PING"])) !== "PONG")
      throw new Error("no PONG from master");
  } finally {
    await c.destroy();
  }
});

describeWithService("Redis Sentinel", unavailable, "redis store (sentinel)", () => {
  storeConformance("redis sentinel (node-redis from URL)", {
    open: () => createStore(url, { keyPrefix: "cr:t:" }),
  });
});
