import type { StoreUrlOptions } from "../create-store.js";
import type { SqlStore } from "../sql/sql-store.js";
import { splitStoreParams } from "../sql/url-params.js";
import { createMysqlStore, type MysqlStoreOptions } from "./index.js";

/**
 * `mysql://user:pass@host:3306/db` (or `mariadb://`). Cloakroom's own
 * parameters — `table`, `migrate` — are taken out; the rest go to mysql2.
 */
export async function fromUrl(url: string, options: StoreUrlOptions): Promise<SqlStore> {
  const { url: driverUrl, table, migrate } = splitStoreParams(url);
  return createMysqlStore({
    ...(options as MysqlStoreOptions),
    // mysql2 only knows mysql://
    url: driverUrl.replace(/^mariadb:/i, "mysql:"),
    ...(table !== undefined ? { table } : {}),
    ...(migrate !== undefined ? { migrate } : {}),
  });
}
