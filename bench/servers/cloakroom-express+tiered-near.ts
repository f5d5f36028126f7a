/** `cloakroom-express+tiered-near`: cloakroom-sessions/express on the tiered-near store. */
import { serveExpress } from "./cloakroom-express.js";

await serveExpress("tiered-near", "cloakroom-express+tiered-near");
