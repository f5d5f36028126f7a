/** `cloakroom-express+redis`: cloakroom-sessions/express on the redis store. */
import { serveExpress } from "./cloakroom-express.js";

await serveExpress("redis", "cloakroom-express+redis");
