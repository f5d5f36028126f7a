import { parseDuration } from "../../core/duration.js";
import { BadStoreUrlError, CloakroomError } from "../../core/errors.js";
import type { SessionStore } from "../../core/store.js";
import { createStore, type StoreUrlOptions } from "../create-store.js";
import { TieredStore, type TieredStoreOptions } from "./index.js";

/**
 * `tiered:?durable=<url>&cache=<url>[&cacheTtl=5s]`, the inner URLs
 * percent-encoded (`encodeURIComponent`). Options for the inner stores go in
 * `options.durable` and `options.cache`; the rest is for the tiered store.
 * @example
 * createStore(`tiered:?durable=${encodeURIComponent("sqlite:./data/s.db")}&cache=memory:`)
 */
export async function fromUrl(url: string, options: StoreUrlOptions): Promise<TieredStore> {
  const q = url.indexOf("?");
  const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
  const durableUrl = query.get("durable");
  const cacheUrl = query.get("cache");
  if (!durableUrl || !cacheUrl) {
    throw new BadStoreUrlError(
      "tiered: needs ?durable=<url>&cache=<url>, each percent-encoded, e.g. tiered:?durable=sqlite%3A.%2Fdata%2Fs.db&cache=memory%3A",
    );
  }
  if (/^tiered:/i.test(durableUrl) || /^tiered:/i.test(cacheUrl)) {
    throw new BadStoreUrlError("tiered: the durable and cache stores cannot be tiered themselves");
  }
  let cacheTtl: number | undefined;
  const ttl = query.get("cacheTtl");
  if (ttl !== null) {
    try {
      cacheTtl = parseDuration(/^\d+$/.test(ttl) ? Number(ttl) : ttl, "cacheTtl");
    } catch (err) {
      throw new BadStoreUrlError(`tiered: cacheTtl=${ttl} is not a duration (ms, or 5s, 1m)`, {
        cause: err,
      });
    }
  }
  const {
    durable: durableOptions,
    cache: cacheOptions,
    ...own
  } = options as {
    durable?: StoreUrlOptions;
    cache?: StoreUrlOptions;
  } & Partial<TieredStoreOptions>;
  const durable = await createStore(durableUrl, durableOptions ?? {});
  let cache: SessionStore;
  try {
    cache = await createStore(cacheUrl, cacheOptions ?? {});
  } catch (err) {
    await durable.close();
    throw err;
  }
  try {
    return new TieredStore({
      ...own,
      ...(cacheTtl !== undefined ? { cacheTtl } : {}),
      durable,
      cache,
      ownsStores: true,
    });
  } catch (err) {
    await Promise.all([durable.close(), cache.close()]);
    if (err instanceof CloakroomError) throw err;
    throw new BadStoreUrlError(`tiered: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}
