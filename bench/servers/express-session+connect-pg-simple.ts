/**
 * `express-session+connect-pg-simple`: the common PostgreSQL session setup on
 * Express. Pruning is off so no timer adds statements during a measured run.
 */
import connectPgSimple from "connect-pg-simple";
import session from "express-session";
import pg from "pg";
import { countPgStatements, env, onShutdown, ready } from "./common.js";
import { expressSessionApp } from "./express-session-shared.js";

await countPgStatements();
const pool = new pg.Pool({ connectionString: env.pgUrl, max: 10 });
const PgStore = connectPgSimple(session);
const store = new PgStore({
  pool,
  tableName: "session",
  createTableIfMissing: true,
  pruneSessionInterval: false,
});
const app = expressSessionApp(store);

const server = app.listen(env.port, "127.0.0.1", () => ready("express-session+connect-pg-simple"));
onShutdown(async () => {
  server.close();
  await pool.end();
});
