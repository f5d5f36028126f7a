/** `cloakroom-express+sqlite`: cloakroom-sessions/express on the sqlite store. */
import { serveExpress } from "./cloakroom-express.js";

await serveExpress("sqlite", "cloakroom-express+sqlite");
