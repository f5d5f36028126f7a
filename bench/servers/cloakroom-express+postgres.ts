/** `cloakroom-express+postgres`: cloakroom-sessions/express on the postgres store. */
import { serveExpress } from "./cloakroom-express.js";

await serveExpress("postgres", "cloakroom-express+postgres");
