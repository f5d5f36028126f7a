import { BadStoreUrlError } from "../../core/errors.js";
import type { StoreUrlOptions } from "../create-store.js";
import type { SqlStore } from "../sql/sql-store.js";
import { checkQuery } from "../url-query.js";
import { createSqliteStore, type SqliteStoreOptions } from "./index.js";

/**
 * `sqlite:./data/sessions.db`, `sqlite:/abs/path.db`, `sqlite::memory:`;
 * `?table=name` picks the table, `?migrate=0` skips migrating at open.
 * The `//` forms are read as people mean them: `sqlite://./x.db` and
 * `sqlite://../x.db` are relative (never `/x.db` at the root), `sqlite:///abs.db`
 * absolute; `sqlite://name/x.db` (a host?) is refused with the forms to use.
 */
export async function fromUrl(url: string, options: StoreUrlOptions): Promise<SqlStore> {
  const rest = url.slice(url.indexOf(":") + 1);
  const q = rest.indexOf("?");
  const raw = decodeURIComponent(q === -1 ? rest : rest.slice(0, q));
  const query = new URLSearchParams(q === -1 ? "" : rest.slice(q + 1));
  checkQuery("sqlite", query, ["table", "migrate"]);
  const path = sqlitePath(raw);
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

/** The file path of a `sqlite:` URL's body (see {@link fromUrl}). */
export function sqlitePath(raw: string): string {
  if (!raw.startsWith("//")) return raw;
  const after = raw.slice(2);
  if (after.startsWith("/") || after.startsWith("./") || after.startsWith("../")) return after;
  if (after === ":memory:") return after;
  throw new BadStoreUrlError(
    `sqlite:${raw}: a sqlite URL has no host; write sqlite:./relative/path.db, sqlite:/absolute/path.db or sqlite::memory:`,
  );
}
