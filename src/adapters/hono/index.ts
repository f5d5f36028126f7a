/**
 * `cloakroom-sessions/hono`: the Hono middleware, `c.get("session")` in every
 * handler. Its own entry point so that `cloakroom-sessions/web` (plain fetch
 * helpers) never references `hono`'s types: a fetch-only app without Hono
 * installed type-checks under `skipLibCheck: false`.
 *
 * @example
 * import { Hono } from "hono";
 * import { session, type SessionVariables } from "cloakroom-sessions/hono";
 *
 * const app = new Hono<{ Variables: SessionVariables }>();
 * app.use(session({ store, secrets }));
 */
export type { SessionsConfig } from "../common/manager-of.js";
export { RequestSession } from "../common/request-session.js";
export { type HonoSessionOptions, type SessionVariables, session } from "./middleware.js";
