import { ConfigurationError } from "../lib.js";
import type { UserDirectory } from "./directory.js";

/**
 * The directory `USER_DB` names: `sqlite:<path>` (or `sqlite::memory:`) or
 * `postgres://…`. Drivers load only for the scheme in use.
 * @example await openUserDirectory("sqlite:./data/users.db")
 */
export async function openUserDirectory(url: string): Promise<UserDirectory> {
  if (url.startsWith("sqlite:")) {
    const { SqliteUserDirectory } = await import("./sqlite.js");
    return SqliteUserDirectory.open(url.slice("sqlite:".length).replace(/^\/\//, "") || ":memory:");
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { PostgresUserDirectory } = await import("./postgres.js");
    return PostgresUserDirectory.open(url);
  }
  throw new ConfigurationError(
    `USER_DB: "${url.split(":")[0]}:" is not supported; use sqlite:<file> or postgres://…`,
  );
}
