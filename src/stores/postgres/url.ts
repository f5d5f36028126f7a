import type { StoreUrlOptions } from "../create-store.js";
import type { SqlStore } from "../sql/sql-store.js";
import { splitStoreParams } from "../sql/url-params.js";
import { checkQuery } from "../url-query.js";
import { createPostgresStore, type PostgresStoreOptions } from "./index.js";

/**
 * `postgres://user:pass@host:5432/db` (or `postgresql://`). Cloakroom's own
 * parameters — `table`, `migrate` — are taken out; the rest (sslmode,
 * application_name…) go to node-postgres.
 */
/**
 * Accepted query parameters: Cloakroom's, then the ones node-postgres reads
 * from a connection string (pg-connection-string and pg's
 * ConnectionParameters, pg 8). It keeps any other name without a word, so a
 * typo such as `?sslmod=require` would connect without TLS.
 */
export const POSTGRES_URL_PARAMS = [
  "table",
  "migrate",
  "sslmode",
  "ssl",
  "sslcert",
  "sslkey",
  "sslrootcert",
  "sslnegotiation",
  "uselibpqcompat",
  "application_name",
  "fallback_application_name",
  "options",
  "client_encoding",
  "encoding",
  "statement_timeout",
  "query_timeout",
  "lock_timeout",
  "idle_in_transaction_session_timeout",
  "replication",
  "binary",
  "host",
  "port",
  "user",
  "password",
  "database",
  "db",
] as const;

export async function fromUrl(url: string, options: StoreUrlOptions): Promise<SqlStore> {
  const { url: driverUrl, table, migrate } = splitStoreParams(url);
  checkQuery("postgres", new URL(url).searchParams, POSTGRES_URL_PARAMS);
  return createPostgresStore({
    ...(options as PostgresStoreOptions),
    url: driverUrl,
    ...(table !== undefined ? { table } : {}),
    ...(migrate !== undefined ? { migrate } : {}),
  });
}
