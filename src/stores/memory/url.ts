import { BadStoreUrlError } from "../../core/errors.js";
import type { StoreUrlOptions } from "../create-store.js";
import { checkQuery } from "../url-query.js";
import { MemoryStore, type MemoryStoreOptions } from "./index.js";

/** `memory:` or `memory:?max=5000`. */
export async function fromUrl(url: string, options: StoreUrlOptions): Promise<MemoryStore> {
  const query = new URLSearchParams(url.slice("memory:".length).replace(/^[^?]*\?/, ""));
  checkQuery("memory", query, ["max"]);
  const max = query.get("max");
  if (max !== null && !/^\d+$/.test(max))
    throw new BadStoreUrlError(`memory: max=${max} is not a count`);
  return new MemoryStore({
    ...(options as MemoryStoreOptions),
    ...(max !== null ? { maxSessions: Number(max) } : {}),
  });
}
