import { BadStoreUrlError } from "../../core/errors.js";
import { importDriver } from "../../util/driver.js";
import type { StoreUrlOptions } from "../create-store.js";
import { checkQuery } from "../url-query.js";
import { MemcachedStore, type MemcachedStoreOptions } from "./index.js";
import type { MemjsClientLike } from "./protocol.js";

interface Memjs {
  Client: {
    create(servers: string, options: Record<string, unknown>): MemjsClientLike;
  };
}

const HOST_PORT = /^(\[[0-9a-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/i;

/**
 * `memcached://host:port[,host:port]` with `?prefix=app:&timeout=1000`.
 * Credentials (`memcached://user:pass@host`) go to memjs's SASL.
 */
export async function fromUrl(url: string, options: StoreUrlOptions): Promise<MemcachedStore> {
  const m = /^memcached:\/\/([^/?#]*)\/?(\?.*)?$/i.exec(url);
  if (!m?.[1]) {
    throw new BadStoreUrlError("memcached: expected memcached://host:port[,host:port]");
  }
  let auth = "";
  let hosts = m[1];
  const at = hosts.lastIndexOf("@");
  if (at >= 0) {
    auth = `${hosts.slice(0, at)}@`;
    hosts = hosts.slice(at + 1);
  }
  const servers = hosts.split(",");
  for (const s of servers) {
    if (!HOST_PORT.test(s)) throw new BadStoreUrlError(`memcached: bad server "${s}"`);
  }
  const query = new URLSearchParams(m[2]?.slice(1) ?? "");
  checkQuery("memcached", query, ["timeout", "prefix"]);
  const timeout = Number(query.get("timeout") ?? 1000);
  if (!Number.isInteger(timeout) || timeout <= 0) {
    throw new BadStoreUrlError(
      `memcached: timeout=${query.get("timeout")} is not a positive ms count`,
    );
  }
  const mod = await importDriver<Memjs & { default?: Memjs }>("memjs", "The Memcached store");
  const memjs = mod.default ?? mod;
  const client = memjs.Client.create(servers.map((s) => `${auth}${s}`).join(","), {
    // One attempt per operation and short socket timeouts: a down server
    // fails the request fast (503) instead of queueing it (REL-01/02).
    retries: 1,
    timeout: timeout / 1000,
    conntimeout: timeout / 1000,
    // No failover: moving a down node's keys to another node, then back when
    // it returns, would serve the stale copies it kept, revoked sessions
    // included (REL-07). A down node fails its requests closed instead.
    failover: false,
    // Failures reach the caller as StoreUnavailableError; memjs's own console logging is redundant.
    logger: { log: () => undefined },
  });
  return new MemcachedStore({
    ...(options as Partial<MemcachedStoreOptions>),
    ...(query.get("prefix") !== null ? { prefix: query.get("prefix")! } : {}),
    client,
    ownsClient: true,
    timeout,
  });
}
