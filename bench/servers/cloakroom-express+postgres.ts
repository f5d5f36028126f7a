/** `cloakroom-express+postgres`: cloakroom/express on the postgres store. */
import { serveExpress } from "./cloakroom-express.js";

await serveExpress("postgres", "cloakroom-express+postgres");
