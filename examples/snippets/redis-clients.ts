import { createRedisStore } from "cloakroom-sessions/stores/redis";
import { Cluster, Redis } from "ioredis";

const nodes = [{ host: "10.0.0.1", port: 7000 }];
const single = await createRedisStore({ client: new Redis({ enableOfflineQueue: false }) });
const cluster = await createRedisStore({
  client: new Cluster(nodes, { enableOfflineQueue: false }),
});

// node-redis: createClient(), createCluster() or createSentinel(), connected,
// with disableOfflineQueue: true.

export { cluster, single };
