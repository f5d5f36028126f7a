import { createStore } from "cloakroom-sessions";
import { createRedisStore } from "cloakroom-sessions/stores/redis";
import { Redis } from "ioredis";

// One server (database 0), a cluster, Sentinel — or your own client.
export const single = await createStore("redis://127.0.0.1:6379/0");
export const cluster = await createStore("redis+cluster://10.0.0.1:7000,10.0.0.2:7000");
export const sentinel = await createStore(
  "redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/mymaster?replicaAcks=1",
);
export const yours = await createRedisStore({ client: new Redis(), keyPrefix: "app:s:" }); // ioredis or node-redis
