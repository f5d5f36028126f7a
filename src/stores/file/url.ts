import { fileURLToPath } from "node:url";
import { BadStoreUrlError } from "../../core/errors.js";
import type { StoreUrlOptions } from "../create-store.js";
import { checkQuery } from "../url-query.js";
import { FileStore, type FileStoreOptions } from "./index.js";

/**
 * `file:./data/sessions` (relative to the working directory),
 * `file:/var/lib/app/sessions` or `file:///var/lib/app/sessions`;
 * `?fsync=false` trades crash durability for speed.
 */
export async function fromUrl(url: string, options: StoreUrlOptions): Promise<FileStore> {
  const q = url.indexOf("?");
  const location = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
  checkQuery("file", query, ["fsync"]);
  let dir: string;
  try {
    dir = location.startsWith("file://")
      ? fileURLToPath(location)
      : decodeURIComponent(location.slice("file:".length));
  } catch (err) {
    throw new BadStoreUrlError(`file: cannot read a directory from ${JSON.stringify(url)}`, {
      cause: err,
    });
  }
  if (dir === "") {
    throw new BadStoreUrlError("file: needs a directory, e.g. file:./data/sessions");
  }
  const fsync = query.get("fsync");
  if (fsync !== null && fsync !== "true" && fsync !== "false") {
    throw new BadStoreUrlError(`file: fsync=${fsync} must be true or false`);
  }
  return new FileStore({
    ...(options as Partial<FileStoreOptions>),
    dir,
    ...(fsync !== null ? { fsync: fsync === "true" } : {}),
  });
}
