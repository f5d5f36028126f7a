/** `fastify-session+connect-redis-rolling-false`: the same server with `rolling: false`. */
process.env.BENCH_ROLLING = "false";
await import("./fastify-session+connect-redis.js");
