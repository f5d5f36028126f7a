/**
 * Store URLs for Redis, parsed here because WHATWG `URL` cannot read a
 * comma-separated host list:
 *
 * - `redis://[user:pass@]host[:port][/db]`, `rediss://…` (TLS)
 * - `redis+cluster://[user:pass@]h1:p1,h2:p2` (seed nodes; the rest are discovered)
 * - `redis+sentinel://[user:pass@]h1:p1,h2:p2/mastername[/db]` (credentials are the master's)
 *
 * Query parameters: `keyPrefix`, `connectTimeout` and `commandTimeout` (ms),
 * `replicaAcks` (replicas that must acknowledge each write), `driver`
 * (`auto`, `ioredis` or `node-redis`).
 * @example await createStore("redis+sentinel://127.0.0.1:26379,127.0.0.1:26380/cloakroom?keyPrefix=app:")
 */
import { BadStoreUrlError } from "../../core/errors.js";
import type { SessionStore } from "../../core/store.js";
import { redact, type StoreUrlOptions } from "../create-store.js";
import { checkQuery } from "../url-query.js";
import { createRedisStore, type RedisDriver, type RedisStoreOptions } from "./index.js";

export type RedisTopology = "standalone" | "cluster" | "sentinel";

export interface RedisEndpoint {
  host: string;
  port: number;
}

export interface ParsedRedisUrl {
  topology: RedisTopology;
  tls: boolean;
  nodes: RedisEndpoint[];
  username?: string;
  password?: string;
  database?: number;
  /** Sentinel only: the monitored master's name. */
  masterName?: string;
  query: URLSearchParams;
}

const SCHEMES: Record<string, { topology: RedisTopology; tls: boolean }> = {
  redis: { topology: "standalone", tls: false },
  rediss: { topology: "standalone", tls: true },
  "redis+cluster": { topology: "cluster", tls: false },
  "redis+sentinel": { topology: "sentinel", tls: false },
};

const DEFAULT_PORT = { standalone: 6379, cluster: 6379, sentinel: 26379 } as const;

/** Parses a Redis store URL, or throws BadStoreUrlError saying what is wrong. */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  const bad = (why: string) =>
    new BadStoreUrlError(`bad Redis store URL ${JSON.stringify(redact(url))}: ${why}`);
  const m = /^([a-z+]+):\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/i.exec(url.trim());
  const scheme = SCHEMES[m?.[1]?.toLowerCase() ?? ""];
  if (!m || !scheme) {
    throw bad("expected redis://, rediss://, redis+cluster:// or redis+sentinel://host:port");
  }
  const [, , userinfo, hostlist = "", path = "", query = ""] = m;
  const { topology, tls } = scheme;
  const nodes = hostlist.split(",").map((h) => parseHost(h, DEFAULT_PORT[topology], bad));
  if (nodes.length > 1 && topology === "standalone") {
    throw bad("several hosts need redis+cluster:// or redis+sentinel://");
  }
  const out: ParsedRedisUrl = { topology, tls, nodes, query: new URLSearchParams(query) };
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(":");
    const user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon), bad);
    if (user !== "") out.username = user;
    if (colon >= 0) out.password = decode(userinfo.slice(colon + 1), bad);
  }
  const parts = path.split("/").filter((p) => p !== "");
  if (topology === "sentinel") {
    const name = parts.shift();
    if (!name) throw bad("name the master: redis+sentinel://h1:p1,h2:p2/mastername");
    out.masterName = decode(name, bad);
  }
  const db = parts.shift();
  if (db !== undefined) {
    if (topology === "cluster") throw bad("Redis Cluster has only database 0");
    if (!/^\d{1,2}$/.test(db)) throw bad(`database "${db}" is not a number`);
    out.database = Number(db);
  }
  if (parts.length > 0) throw bad(`unexpected path "/${parts.join("/")}"`);
  return out;
}

function parseHost(text: string, defaultPort: number, bad: (why: string) => Error): RedisEndpoint {
  // A DNS name or IPv4 address (RFC 1123 characters), or a bracketed IPv6
  // address: anything else ("h h", "<x>") is a typo to refuse now, not a
  // lookup failure to report on the first request.
  const m = /^(\[[0-9a-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?$/i.exec(text);
  if (!m) throw bad(`"${text}" is not host[:port]`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port < 1 || port > 65535) throw bad(`port ${port} is out of range`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

function decode(text: string, bad: (why: string) => Error): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw bad("bad percent-encoding");
  }
}

function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  if (!/^\d+$/.test(v)) throw new BadStoreUrlError(`Redis store URL: ${name}=${v} is not ms`);
  return Number(v);
}

/** `createStore()` entry point for the four Redis schemes. */
export async function fromUrl(url: string, options: StoreUrlOptions): Promise<SessionStore> {
  const parsed = parseRedisUrl(url);
  checkQuery("redis", parsed.query, [
    "keyPrefix",
    "connectTimeout",
    "commandTimeout",
    "replicaAcks",
    "driver",
  ]);
  const fromQuery: RedisStoreOptions = {};
  const prefix = parsed.query.get("keyPrefix");
  if (prefix !== null) fromQuery.keyPrefix = prefix;
  const connectTimeout = intParam(parsed.query, "connectTimeout");
  if (connectTimeout !== undefined) fromQuery.connectTimeout = connectTimeout;
  const commandTimeout = intParam(parsed.query, "commandTimeout");
  if (commandTimeout !== undefined) fromQuery.commandTimeout = commandTimeout;
  const replicaAcks = intParam(parsed.query, "replicaAcks");
  if (replicaAcks !== undefined) fromQuery.replicaAcks = replicaAcks;
  const driver = parsed.query.get("driver");
  if (driver !== null) fromQuery.driver = driver as RedisDriver;
  return createRedisStore({ ...(options as RedisStoreOptions), ...fromQuery, url });
}
