import { BadStoreUrlError } from "../../core/errors.js";
import type { StoreUrlOptions } from "../create-store.js";
import type { SqlStore } from "../sql/sql-store.js";
import { createSqliteStore, type SqliteStoreOptions } from "./index.js";

/**
 * `sqlite:./data/sessions.db`, `sqlite:/abs/path.db`, `sqlite::memory:`;
 * `?table=name` picks the table, `?migrate=0` skips migrating at open.
 */
export async function fromUrl(url: string, options: StoreUrlOptions): Promise<SqlStore> {
  const rest = url.slice(url.indexOf(":") + 1);
  const q = rest.indexOf("?");
  const path = decodeURIComponent(q === -1 ? rest : rest.slice(0, q)).replace(/^\/\/(?=\/)/, "");
  const query = new URLSearchParams(q === -1 ? "" : rest.slice(q + 1));
  if (path === "")
    throw new BadStoreUrlError("sqlite: needs a file path, e.g. sqlite:./data/sessions.db");
  const migrate = query.get("migrate");
  return createSqliteStore({
    ...(options as SqliteStoreOptions),
    path,
    ...(query.get("table") !== null ? { table: query.get("table")! } : {}),
    ...(migrate !== null ? { migrate: migrate !== "0" && migrate !== "false" } : {}),
  });
}
