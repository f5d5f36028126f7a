/**
 * `cloakroom-express+redis-ioredis`: the same server as cloakroom-express+redis,
 * on ioredis (`?driver=ioredis`) instead of node-redis, to compare the two
 * clients the store supports end to end.
 */
import { serveExpress } from "./cloakroom-express.js";

await serveExpress("redis-ioredis", "cloakroom-express+redis-ioredis");
