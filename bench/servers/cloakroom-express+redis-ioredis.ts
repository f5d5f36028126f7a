/**
 * `cloakroom-express+redis-ioredis`: the same server as cloakroom-express+redis,
 * on the client a `redis://` URL opens by default (ioredis), to show what the
 * default saves against node-redis, the client of the comparisons.
 */
import { serveExpress } from "./cloakroom-express.js";

await serveExpress("redis-ioredis", "cloakroom-express+redis-ioredis");
