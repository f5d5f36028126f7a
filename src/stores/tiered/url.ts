import { parseDuration } from "../../core/duration.js";
import { BadStoreUrlError, CloakroomError } from "../../core/errors.js";
import type { SessionStore } from "../../core/store.js";
import { createStore, type StoreUrlOptions } from "../create-store.js";
import { checkQuery } from "../url-query.js";
import type { InvalidationBus } from "./bus.js";
import { createPostgresBus } from "./bus-postgres.js";
import { createRedisBus } from "./bus-redis.js";
import { TieredStore, type TieredStoreOptions } from "./index.js";

/**
 * `tiered:?durable=<url>&cache=<url>[&cacheTtl=5s][&channel=<url>][&singleProcess=true][&lease=1s]`,
 * the inner URLs percent-encoded (`encodeURIComponent`). Options for the
 * inner stores go in `options.durable` and `options.cache`; the rest is for
 * the tiered store. A near cache (`cache=memory:`) gets its invalidation
 * channel from `channel`, else from a `postgres://` or `redis://` durable store.
 * @example
 * createStore(`tiered:?durable=${encodeURIComponent("sqlite:./data/s.db")}&cache=memory:`)
 */
export async function fromUrl(url: string, options: StoreUrlOptions): Promise<TieredStore> {
  const q = url.indexOf("?");
  const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
  checkQuery("tiered", query, [
    "durable",
    "cache",
    "cacheTtl",
    "channel",
    "singleProcess",
    "lease",
  ]);
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
  const lease = durationParam(query.get("lease"), "lease");
  const singleProcess = /^(1|true|yes)$/i.test(query.get("singleProcess") ?? "");
  const near = /^memory:/i.test(cacheUrl);
  const bus = near && !singleProcess ? busFor(query.get("channel") ?? durableUrl) : undefined;
  if (query.get("channel") && !bus) {
    throw new BadStoreUrlError(
      "tiered: channel must be a redis://, rediss:// or postgres:// URL (percent-encoded), and is used only with a near cache (cache=memory:)",
    );
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
    await durable.close?.();
    throw err;
  }
  try {
    const store = new TieredStore({
      ...own,
      ...(cacheTtl !== undefined ? { cacheTtl } : {}),
      ...(lease !== undefined ? { lease } : {}),
      ...(bus ? { invalidation: bus } : {}),
      ...(singleProcess ? { singleProcess } : {}),
      durable,
      cache,
      ownsStores: true,
    });
    try {
      await store.ready;
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  } catch (err) {
    await Promise.all([durable.close?.(), cache.close?.()]);
    if (err instanceof CloakroomError) throw err;
    throw new BadStoreUrlError(`tiered: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

function durationParam(value: string | null, name: string): number | undefined {
  if (value === null) return undefined;
  try {
    return parseDuration(/^\d+$/.test(value) ? Number(value) : value, name);
  } catch (err) {
    throw new BadStoreUrlError(`tiered: ${name}=${value} is not a duration (ms, or 5s, 1m)`, {
      cause: err,
    });
  }
}

/** The invalidation channel a URL names, or undefined for a backend that has none. */
function busFor(url: string): InvalidationBus | undefined {
  if (/^rediss?:\/\//i.test(url)) return createRedisBus({ url: withoutStoreParams(url) });
  if (/^postgres(ql)?:\/\//i.test(url)) return createPostgresBus({ url: withoutStoreParams(url) });
  return undefined;
}

/** A store URL's own parameters (table, prefixes, …) mean nothing to a plain connection. */
function withoutStoreParams(url: string): string {
  const u = new URL(url);
  for (const p of [...u.searchParams.keys()])
    if (p !== "sslmode" && p !== "ssl") u.searchParams.delete(p);
  return u.toString();
}
