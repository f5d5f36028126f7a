import type { StoreUrlOptions } from "../create-store.js";
import type { SqlStore } from "../sql/sql-store.js";
import { splitStoreParams } from "../sql/url-params.js";
import { createPostgresStore, type PostgresStoreOptions } from "./index.js";

/**
 * `postgres://user:pass@host:5432/db` (or `postgresql://`). Cloakroom's own
 * parameters — `table`, `migrate` — are taken out; the rest (sslmode,
 * application_name…) go to node-postgres.
 */
export async function fromUrl(url: string, options: StoreUrlOptions): Promise<SqlStore> {
  const { url: driverUrl, table, migrate } = splitStoreParams(url);
  return createPostgresStore({
    ...(options as PostgresStoreOptions),
    url: driverUrl,
    ...(table !== undefined ? { table } : {}),
    ...(migrate !== undefined ? { migrate } : {}),
  });
}
