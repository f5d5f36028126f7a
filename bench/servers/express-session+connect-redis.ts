/** `express-session+connect-redis`: the most common Redis session setup on Express. */
import { RedisStore } from "connect-redis";
import { createClient } from "redis";
import { env, onShutdown, ready } from "./common.js";
import { expressSessionApp } from "./express-session-shared.js";

const redis = createClient({ url: env.redisUrl });
await redis.connect();
const app = expressSessionApp(new RedisStore({ client: redis }));

const server = app.listen(env.port, "127.0.0.1", () => ready("express-session+connect-redis"));
onShutdown(async () => {
  server.close();
  await redis.quit();
});
