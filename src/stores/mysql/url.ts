import type { StoreUrlOptions } from "../create-store.js";
import type { SqlStore } from "../sql/sql-store.js";
import { splitStoreParams } from "../sql/url-params.js";
import { checkQuery } from "../url-query.js";
import { createMysqlStore, type MysqlStoreOptions } from "./index.js";

/**
 * `mysql://user:pass@host:3306/db` (or `mariadb://`). Cloakroom's own
 * parameters — `table`, `migrate` — are taken out; the rest go to mysql2.
 */
/**
 * Accepted query parameters: Cloakroom's, then mysql2's connection and pool
 * options that a URL can carry (mysql2 3.x `validOptions`, less those that
 * take a function or a stream). mysql2 only prints a warning for any other
 * name and goes on.
 */
export const MYSQL_URL_PARAMS = [
  "table",
  "migrate",
  "ssl",
  "charset",
  "charsetNumber",
  "timezone",
  "connectTimeout",
  "connectionLimit",
  "maxIdle",
  "idleTimeout",
  "queueLimit",
  "waitForConnections",
  "enableKeepAlive",
  "keepAliveInitialDelay",
  "multipleStatements",
  "compress",
  "dateStrings",
  "decimalNumbers",
  "bigNumberStrings",
  "supportBigNumbers",
  "jsonStrings",
  "namedPlaceholders",
  "nestTables",
  "rowsAsArray",
  "stringifyObjects",
  "insecureAuth",
  "enableCleartextPlugin",
  "maxPreparedStatements",
  "disableEval",
  "resetOnRelease",
  "gracefulEnd",
  "flags",
  "debug",
  "trace",
  "localAddress",
  "socketPath",
  "connectAttributes",
  "password1",
  "password2",
  "password3",
  "passwordSha1",
] as const;

export async function fromUrl(url: string, options: StoreUrlOptions): Promise<SqlStore> {
  const { url: driverUrl, table, migrate } = splitStoreParams(url);
  checkQuery("mysql", new URL(url).searchParams, MYSQL_URL_PARAMS);
  return createMysqlStore({
    ...(options as MysqlStoreOptions),
    // mysql2 only knows mysql://
    url: driverUrl.replace(/^mariadb:/i, "mysql:"),
    ...(table !== undefined ? { table } : {}),
    ...(migrate !== undefined ? { migrate } : {}),
  });
}
