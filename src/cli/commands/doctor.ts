/**
 * `doctor [store-url]`: is this session setup healthy? Connectivity and
 * round-trip latency, schema and pending migrations, clock skew between this
 * machine and the store, expired records nobody purges, Redis eviction and
 * persistence, and the app's own settings (from the environment or an
 * options file). Exit 0 healthy, 1 warnings, 2 failures.
 *
 * It only reads: no migration is applied, nothing is purged, no config set.
 */
import { readFileSync } from "node:fs";
import { parseDuration } from "../../core/duration.js";
import { hasNativeTtl, type SessionStore } from "../../core/store.js";
import { MIN_SECRET_BYTES } from "../../core/token.js";
import { createStore } from "../../stores/create-store.js";
import { importDriver } from "../../util/driver.js";
import { type Command, EXIT } from "./command.js";

type Status = "ok" | "warn" | "fail" | "skip";

/** One finding; `data` carries the numbers for `--json`. */
interface Check {
  check: string;
  status: Status;
  message: string;
  data?: Record<string, unknown>;
}

/** OWASP ASVS 5.0 level 2 (V7.3.1, V7.3.2), the library's defaults. */
const ASVS_IDLE = 30 * 60_000;
const ASVS_ABSOLUTE = 12 * 3_600_000;
/** Beyond this the idle and absolute deadlines, computed from the app's clock, drift noticeably. */
const SKEW_WARN_MS = 1_000;
const P99_WARN_MS = 50;
/** Unpurged expired records worth a warning: they cost disk and slow user listings. */
const EXPIRED_WARN = 1_000;

export const doctor: Command = {
  usage: "doctor [store-url] [--pings N] [--options file.json] [--json]",
  summary: "check the store and settings: latency, schema, clock, expiry, eviction, config",
  examples: [
    "doctor sqlite:./data/sessions.db",
    "doctor redis://127.0.0.1:6379 --pings 100",
    "NODE_ENV=production SESSION_SECRET=… doctor postgres://app@db/app --json",
  ],
  options: {
    pings: { type: "string", help: "round trips to time (default 20)" },
    options: {
      type: "string",
      help: "JSON file with the app's options: secrets, idleTimeout, absoluteTimeout, cookie.secure",
    },
  },
  async run([url], values, out) {
    const pings = values.pings === undefined ? 20 : Number(values.pings);
    if (!Number.isInteger(pings) || pings < 1 || pings > 10_000) {
      out.error("--pings: a whole number from 1 to 10000");
      return EXIT.WARN;
    }
    const resolved = url ?? process.env.SESSION_STORE;
    const checks: Check[] = [];
    let kind: string | null = null;
    try {
      checks.push(...configChecks(appOptions(values.options as string | undefined), resolved));
    } catch (err) {
      checks.push({ check: "config", status: "fail", message: (err as Error).message });
    }
    if (!resolved) {
      checks.push({
        check: "store",
        status: "fail",
        message: "no store URL: give one or set SESSION_STORE",
      });
    } else {
      kind = await storeChecks(resolved, pings, checks);
    }
    const worst = checks.some((c) => c.status === "fail")
      ? EXIT.FAIL
      : checks.some((c) => c.status === "warn")
        ? EXIT.WARN
        : EXIT.OK;
    const health = worst === EXIT.OK ? "healthy" : worst === EXIT.WARN ? "warnings" : "failing";
    if (values.json) out.json({ store: kind, status: health, checks });
    else {
      const mark: Record<Status, string> = { ok: "ok  ", warn: "WARN", fail: "FAIL", skip: "--  " };
      for (const c of checks) out.info(`${mark[c.status]}  ${c.check.padEnd(12)} ${c.message}`);
      out.info(`\n${kind ?? "store"}: ${health}`);
    }
    return worst;
  },
};

interface AppOptions {
  secrets?: string[];
  idleTimeout?: number;
  absoluteTimeout?: number;
  secure?: boolean | "auto";
  production: boolean;
}

/** The app's settings from `--options` or, failing that, the environment the demo reads (CONTRACT §3). */
function appOptions(file: string | undefined): AppOptions {
  const env = process.env;
  const production = env.NODE_ENV === "production";
  if (file !== undefined) {
    const o = JSON.parse(readFileSync(file, "utf8")) as {
      secrets?: string | string[];
      idleTimeout?: number | string;
      absoluteTimeout?: number | string;
      cookie?: { secure?: boolean | "auto" };
    };
    return {
      secrets: o.secrets === undefined ? undefined : [o.secrets].flat(),
      idleTimeout:
        o.idleTimeout === undefined ? undefined : parseDuration(o.idleTimeout, "idleTimeout"),
      absoluteTimeout:
        o.absoluteTimeout === undefined
          ? undefined
          : parseDuration(o.absoluteTimeout, "absoluteTimeout"),
      secure: o.cookie?.secure,
      production,
    };
  }
  const secure = env.COOKIE_SECURE;
  return {
    secrets: env.SESSION_SECRET?.split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    idleTimeout: env.SESSION_IDLE_TIMEOUT
      ? parseDuration(env.SESSION_IDLE_TIMEOUT, "SESSION_IDLE_TIMEOUT")
      : undefined,
    absoluteTimeout: env.SESSION_ABSOLUTE_TIMEOUT
      ? parseDuration(env.SESSION_ABSOLUTE_TIMEOUT, "SESSION_ABSOLUTE_TIMEOUT")
      : undefined,
    secure: secure === "true" ? true : secure === "false" ? false : undefined,
    production,
  };
}

function configChecks(o: AppOptions, url: string | undefined): Check[] {
  const out: Check[] = [];
  const warn = (check: string, message: string) => out.push({ check, status: "warn", message });
  if (o.production && url?.startsWith("memory:"))
    warn("config", "memory store in production: sessions die with the process and are not shared");
  if (o.secure === false)
    warn("config", "cookie secure: false: the session cookie travels over plain HTTP");
  if (o.secrets !== undefined) {
    const short = o.secrets.filter((s) => new TextEncoder().encode(s).length < MIN_SECRET_BYTES);
    if (short.length > 0)
      warn("secrets", `${short.length} secret(s) shorter than ${MIN_SECRET_BYTES} bytes`);
    if (new Set(o.secrets).size !== o.secrets.length)
      warn("secrets", "the same secret appears twice in the list");
    if (short.length === 0 && new Set(o.secrets).size === o.secrets.length)
      out.push({
        check: "secrets",
        status: "ok",
        message: `${o.secrets.length} secret(s), long enough`,
      });
  } else if (o.production) {
    warn("secrets", "SESSION_SECRET is not set (production)");
  }
  if (o.idleTimeout !== undefined && o.idleTimeout > ASVS_IDLE)
    warn("timeouts", `idle timeout ${minutes(o.idleTimeout)} is above ASVS L2's 30 min`);
  if (o.absoluteTimeout !== undefined && o.absoluteTimeout > ASVS_ABSOLUTE)
    warn("timeouts", `absolute timeout ${minutes(o.absoluteTimeout)} is above ASVS L2's 12 h`);
  return out;
}

const minutes = (ms: number) =>
  ms >= 3_600_000 ? `${+(ms / 3_600_000).toFixed(1)} h` : `${+(ms / 60_000).toFixed(1)} min`;

/** Every check that needs the store; resolves to its kind, or null when it could not be opened. */
async function storeChecks(url: string, pings: number, checks: Check[]): Promise<string | null> {
  let store: SessionStore;
  try {
    store = await createStore(withoutMigration(url));
  } catch (err) {
    checks.push({ check: "connect", status: "fail", message: messageOf(err) });
    return null;
  }
  try {
    await schemaCheck(store, checks);
    const times: number[] = [];
    // A valid store key no session has: a real round trip that finds nothing.
    const probeKey = "doctor-probe-0000000000000000000000000000000".slice(0, 43);
    try {
      for (let i = 0; i < pings; i++) {
        const t = performance.now();
        await store.get(probeKey, Date.now());
        times.push(performance.now() - t);
      }
    } catch (err) {
      checks.push({ check: "connect", status: "fail", message: messageOf(err) });
      return store.kind;
    }
    times.sort((a, b) => a - b);
    const pct = (p: number) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]!;
    const p50 = pct(0.5);
    const p99 = pct(0.99);
    checks.push({
      check: "latency",
      status: p99 > P99_WARN_MS ? "warn" : "ok",
      message: `${pings} round trips: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`,
      data: { pings, p50Ms: p50, p99Ms: p99 },
    });
    await expiryCheck(store, checks);
    if (store.kind === "redis" && /^rediss?:\/\//.test(url)) await redisChecks(url, checks);
    else await sqlClockCheck(store, checks);
    return store.kind;
  } finally {
    await store.close?.().catch(() => undefined);
  }
}

/** SQLite migrates when opened unless told not to; the doctor only looks. */
function withoutMigration(url: string): string {
  if (!url.startsWith("sqlite:") || /[?&]migrate=/.test(url)) return url;
  return `${url}${url.includes("?") ? "&" : "?"}migrate=0`;
}

interface Diagnosable {
  migrationStatus?(): Promise<{ version: number; name: string; applied: boolean }[]>;
  serverTime?(): Promise<number>;
}

async function schemaCheck(store: SessionStore, checks: Check[]): Promise<void> {
  const d = store as SessionStore & Diagnosable;
  if (!d.migrationStatus) {
    checks.push({ check: "schema", status: "ok", message: `${store.kind}: no schema to migrate` });
    return;
  }
  const status = await d.migrationStatus();
  const pending = status.filter((m) => !m.applied);
  const version = Math.max(0, ...status.filter((m) => m.applied).map((m) => m.version));
  checks.push({
    check: "schema",
    status: pending.length > 0 ? "warn" : "ok",
    message:
      pending.length > 0
        ? `version ${version}; ${pending.length} pending: ${pending.map((m) => `${m.version} ${m.name}`).join(", ")} (run \`cloakroom-sessions migrate\`)`
        : `version ${version}, up to date`,
    data: { version, pending: pending.map((m) => m.version) },
  });
}

async function expiryCheck(store: SessionStore, checks: Check[]): Promise<void> {
  if (hasNativeTtl(store)) {
    checks.push({
      check: "expiry",
      status: "ok",
      message: "native TTL removes expired sessions",
    });
    return;
  }
  if (!store.stats) {
    checks.push({ check: "expiry", status: "skip", message: "this store cannot count" });
    return;
  }
  const s = await store.stats(Date.now());
  const expired = s.expired ?? 0;
  checks.push({
    check: "expiry",
    status: expired > EXPIRED_WARN ? "warn" : "ok",
    message: `${s.live} live, ${expired} expired not yet purged; no native TTL: run startReaper() in the app or \`cloakroom-sessions cleanup\` on a schedule`,
    data: { live: s.live, expired },
  });
}

function skewCheck(checks: Check[], serverMs: number, before: number, after: number): void {
  // The server read its clock somewhere in [before, after]: take the middle.
  const skew = serverMs - (before + after) / 2;
  checks.push({
    check: "clock",
    status: Math.abs(skew) > SKEW_WARN_MS ? "warn" : "ok",
    message: `store clock ${skew >= 0 ? "+" : ""}${skew.toFixed(0)} ms from this machine (±${((after - before) / 2).toFixed(0)} ms)`,
    data: { skewMs: skew },
  });
}

async function sqlClockCheck(store: SessionStore, checks: Check[]): Promise<void> {
  const d = store as SessionStore & Diagnosable;
  if (!d.serverTime) return;
  const before = Date.now();
  const t = await d.serverTime();
  skewCheck(checks, t, before, Date.now());
}

type RedisModule = typeof import("redis");

/**
 * Eviction and persistence need CONFIG GET, which managed services may
 * refuse: then those checks are skipped with the reason.
 */
async function redisChecks(url: string, checks: Check[]): Promise<void> {
  const { createClient } = await importDriver<RedisModule>("redis", "doctor (Redis checks)");
  const client = createClient({
    url: url.split("?")[0],
    socket: { connectTimeout: 2000, reconnectStrategy: false },
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    const before = Date.now();
    const [sec, micro] = (await client.sendCommand(["TIME"])) as [string, string];
    skewCheck(checks, Number(sec) * 1000 + Number(micro) / 1000, before, Date.now());
    let config: Record<string, string>;
    try {
      config = {};
      for (const name of ["maxmemory-policy", "save", "appendonly"])
        config[name] = configValue(await client.sendCommand(["CONFIG", "GET", name]), name);
    } catch (err) {
      checks.push({
        check: "eviction",
        status: "skip",
        message: `CONFIG GET refused: ${messageOf(err)}`,
      });
      return;
    }
    const policy = config["maxmemory-policy"]!;
    // Every session key has a TTL, so the volatile-* policies evict them as readily as allkeys-*.
    checks.push({
      check: "eviction",
      status: policy === "noeviction" ? "ok" : "warn",
      message:
        policy === "noeviction"
          ? "maxmemory-policy noeviction: sessions are never evicted (writes fail when full)"
          : `maxmemory-policy ${policy} can evict live sessions under memory pressure (users logged out at random); use noeviction or a dedicated instance`,
      data: { policy },
    });
    const persistent = config.appendonly === "yes" || config.save !== "";
    checks.push({
      check: "persistence",
      status: persistent ? "ok" : "warn",
      message: persistent
        ? `appendonly ${config.appendonly}, save "${config.save}"`
        : "no RDB snapshots and no AOF: a restart logs everyone out",
      data: { appendonly: config.appendonly, save: config.save },
    });
  } catch (err) {
    checks.push({ check: "redis", status: "fail", message: messageOf(err) });
  } finally {
    client.destroy();
  }
}

/** CONFIG GET answers `[name, value]` over RESP2 and `{ name: value }` over RESP3 / node-redis 5+. */
function configValue(reply: unknown, name: string): string {
  if (Array.isArray(reply)) return String(reply[1] ?? "");
  if (reply instanceof Map) return String(reply.get(name) ?? "");
  if (reply && typeof reply === "object")
    return String((reply as Record<string, unknown>)[name] ?? "");
  return "";
}

function messageOf(err: unknown): string {
  return String((err as Error)?.message ?? err);
}
