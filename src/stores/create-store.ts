/**
 * `createStore(url)`: any store from a URL, the scheme picking the backend.
 * Backends are imported only when their scheme is used, so an app installs
 * only the drivers it needs.
 */
import { BadStoreUrlError } from "../core/errors.js";
import type { SessionStore } from "../core/store.js";

import type { FileStoreOptions } from "./file/options.js";
import type { MemcachedStoreOptions } from "./memcached/index.js";
import type { MemoryStoreOptions } from "./memory/index.js";
import type { MysqlStoreOptions } from "./mysql/index.js";
import type { PostgresStoreOptions } from "./postgres/index.js";
import type { RedisStoreOptions } from "./redis/index.js";
import type { SqliteStoreOptions } from "./sqlite/index.js";

/** Options passed through to the store the URL selects (e.g. `{ keyPrefix }` for Redis). */
export type StoreUrlOptions = Record<string, unknown>;

/**
 * The options `createStore(url, options)` accepts, by the URL's scheme when
 * the URL is a literal: a misspelt or foreign option is a type error (e.g.
 * `{ keyPrefx }` on `redis://…`). A URL known only at run time (an
 * environment variable) takes any options.
 */
export type StoreOptionsFor<U extends string> = string extends U
  ? StoreUrlOptions
  : U extends `redis${string}`
    ? Omit<RedisStoreOptions, "url" | "client">
    : U extends `sqlite:${string}`
      ? Omit<SqliteStoreOptions, "path" | "database">
      : U extends `file:${string}`
        ? Omit<FileStoreOptions, "dir">
        : U extends `memory:${string}`
          ? MemoryStoreOptions
          : U extends `memcached:${string}`
            ? Omit<MemcachedStoreOptions, "servers" | "client">
            : U extends `postgres${string}`
              ? Omit<PostgresStoreOptions, "pool" | "connectionString">
              : U extends `mysql:${string}` | `mariadb:${string}`
                ? Omit<MysqlStoreOptions, "pool" | "uri">
                : StoreUrlOptions;

type Opener = (url: string, options: StoreUrlOptions) => Promise<SessionStore>;

const lazy =
  (load: () => Promise<{ fromUrl: Opener }>): Opener =>
  async (url, options) =>
    (await load()).fromUrl(url, options);

const OPENERS: Record<string, Opener> = {
  memory: lazy(() => import("./memory/url.js")),
  sqlite: lazy(() => import("./sqlite/url.js")),
  file: lazy(() => import("./file/url.js")),
  redis: lazy(() => import("./redis/url.js")),
  rediss: lazy(() => import("./redis/url.js")),
  "redis+cluster": lazy(() => import("./redis/url.js")),
  "redis+sentinel": lazy(() => import("./redis/url.js")),
  memcached: lazy(() => import("./memcached/url.js")),
  postgres: lazy(() => import("./postgres/url.js")),
  postgresql: lazy(() => import("./postgres/url.js")),
  mysql: lazy(() => import("./mysql/url.js")),
  mariadb: lazy(() => import("./mysql/url.js")),
  tiered: lazy(() => import("./tiered/url.js")),
};

/** The schemes `createStore` accepts, for error messages and docs. */
export const STORE_SCHEMES = Object.keys(OPENERS).map((s) => `${s}:`);

/** The scheme of a store URL (without the colon), or a {@link BadStoreUrlError}. */
export function schemeOf(url: string): string {
  const m = typeof url === "string" ? /^([a-z][a-z0-9+.-]*):/i.exec(url.trim()) : null;
  const scheme = m?.[1]?.toLowerCase();
  if (!scheme || !(scheme in OPENERS)) {
    throw new BadStoreUrlError(
      `unknown session store URL ${JSON.stringify(redact(String(url)))}: the scheme must be one of ${STORE_SCHEMES.join(" ")}`,
    );
  }
  return scheme;
}

/**
 * Opens the store a URL names. Rejects with {@link BadStoreUrlError} for an
 * unknown scheme or a malformed URL, with `MissingDriverError` when the
 * backend's driver is not installed.
 * @example
 * const store = await createStore("sqlite:./data/sessions.db");
 * const store = await createStore("redis://127.0.0.1:6379/0");
 * const store = await createStore(`tiered:?durable=${encodeURIComponent(pg)}&cache=${encodeURIComponent(redis)}`);
 */
export async function createStore<U extends string>(
  url: U,
  options: StoreOptionsFor<U> = {} as StoreOptionsFor<U>,
): Promise<SessionStore> {
  const opener = OPENERS[schemeOf(url)]!;
  return opener(url.trim(), options as StoreUrlOptions);
}

/** The URL with any password replaced, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, "//$1:***@");
}
