/**
 * The demo's configuration, read once from the environment (CONTRACT §3).
 * Every variable has a default that lets `npm start` run with nothing set.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConfigurationError, parseDuration } from "./lib.js";

export const FRAMEWORKS = ["express", "fastify", "hono"] as const;
export type Framework = (typeof FRAMEWORKS)[number];

export interface DemoConfig {
  /** Port on 127.0.0.1; 0 picks a free one (tests). @default 3000 */
  port: number;
  /** A store URL as in CONTRACT §1. @default "sqlite:./data/sessions.db" */
  sessionStore: string;
  /** `sqlite:<file>` or `postgres://…`. @default "sqlite:./data/users.db" */
  userDb: string;
  /** First signs, all verify. */
  secrets: string[];
  /** ms. @default 30 min */
  idleTimeout: number;
  /** ms. @default 12 h */
  absoluteTimeout: number;
  /** Seeded at start when both are set. */
  admin: { username: string; password: string } | null;
  /** @default "auto" */
  cookieSecure: boolean | "auto";
  /** @default "express" */
  framework: Framework;
  /** Where generated files (the secret) go. @default "./data" */
  dataDir: string;
  /**
   * ms: how long after a password check the account page stays open before
   * it asks for the password again (sudo mode). Not in CONTRACT §3; tests
   * shorten it. @default 10 min (`DEMO_SUDO_MAX_AGE`)
   */
  sudoMaxAge: number;
  /** The audit trail, one JSON object a line. @default "<dataDir>/audit.jsonl" (`AUDIT_LOG`) */
  auditLog: string;
  /**
   * Passkeys (WebAuthn): the relying-party ID and every origin the demo is
   * reached at (`PASSKEY_RP_ID`, `PASSKEY_ORIGINS` comma-separated,
   * `PASSKEY_RP_NAME`). Null when no origin is known (`PORT=0` without
   * `PASSKEY_ORIGINS`): the passkey buttons are then not shown.
   * @default { rpID: "localhost", origins: ["http://localhost:<PORT>"] }
   */
  passkeys: { rpID: string; rpName: string; origins: string[] } | null;
  /**
   * `TRUST_PROXY` set: the request's origin for the passkey check is read
   * from `X-Forwarded-Proto` and `X-Forwarded-Host` (first hop); otherwise
   * from the connection and `Host`.
   */
  trustProxy: boolean;
  /**
   * Registrations one client address may make per hour (each costs a password
   * hash; the budget also bounds how fast the register form can be used to
   * enumerate names). Not in CONTRACT §3; tests raise it.
   * @default 10 (`DEMO_REGISTRATIONS_PER_HOUR`)
   */
  registrationsPerHour: number;
  /**
   * Which proxies to trust for the client address and protocol, as Express's
   * `trust proxy`: hop count, or comma-separated addresses/subnets (or
   * `loopback`, `uniquelocal`…). Null: none (the socket's address).
   * @default null (`TRUST_PROXY`)
   */
  trustProxyHops: number | string[] | null;
}

type Env = Record<string, string | undefined>;

/** Reads the environment; throws {@link ConfigurationError} naming the bad variable. */
export function loadConfig(
  env: Env = process.env,
  warn: (message: string) => void = console.warn,
): DemoConfig {
  const dataDir = env.DEMO_DATA_DIR ?? "./data";
  const port = Number(env.PORT ?? "3000");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigurationError(`PORT: "${env.PORT}" is not a port number`);
  }
  const framework = (env.DEMO_FRAMEWORK ?? "express").toLowerCase();
  if (!(FRAMEWORKS as readonly string[]).includes(framework)) {
    throw new ConfigurationError(
      `DEMO_FRAMEWORK: "${framework}" is not one of ${FRAMEWORKS.join(", ")}`,
    );
  }
  const adminUser = env.DEMO_ADMIN_USER;
  const adminPassword = env.DEMO_ADMIN_PASSWORD;
  if ((adminUser === undefined) !== (adminPassword === undefined)) {
    throw new ConfigurationError("DEMO_ADMIN_USER and DEMO_ADMIN_PASSWORD go together");
  }
  return {
    port,
    sessionStore: env.SESSION_STORE ?? "sqlite:./data/sessions.db",
    userDb: env.USER_DB ?? "sqlite:./data/users.db",
    secrets: readSecrets(env.SESSION_SECRET, dataDir, warn),
    idleTimeout: parseDuration(env.SESSION_IDLE_TIMEOUT ?? "30m", "SESSION_IDLE_TIMEOUT"),
    absoluteTimeout: parseDuration(
      env.SESSION_ABSOLUTE_TIMEOUT ?? "12h",
      "SESSION_ABSOLUTE_TIMEOUT",
    ),
    admin:
      adminUser !== undefined && adminPassword !== undefined
        ? { username: adminUser, password: adminPassword }
        : null,
    cookieSecure: parseSecure(env.COOKIE_SECURE ?? "auto"),
    framework: framework as Framework,
    dataDir,
    sudoMaxAge: parseDuration(env.DEMO_SUDO_MAX_AGE ?? "10m", "DEMO_SUDO_MAX_AGE"),
    auditLog: env.AUDIT_LOG || join(dataDir, "audit.jsonl"),
    passkeys: passkeyConfig(env, port),
    trustProxy: (env.TRUST_PROXY ?? "").trim() !== "" && env.TRUST_PROXY !== "false",
    registrationsPerHour: parseCount(env.DEMO_REGISTRATIONS_PER_HOUR ?? "10"),
    trustProxyHops: parseTrustProxy(env.TRUST_PROXY),
  };
}

function passkeyConfig(env: Env, port: number): DemoConfig["passkeys"] {
  const listed = (env.PASSKEY_ORIGINS ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
  const origins = listed.length > 0 ? listed : port === 0 ? [] : [`http://localhost:${port}`];
  if (origins.length === 0) return null;
  return {
    rpID: env.PASSKEY_RP_ID ?? "localhost",
    rpName: env.PASSKEY_RP_NAME ?? "Cloakroom demo",
    origins,
  };
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new ConfigurationError(
      `DEMO_REGISTRATIONS_PER_HOUR: "${value}" is not a whole number ≥ 1`,
    );
  }
  return n;
}

/**
 * `TRUST_PROXY` as Express's `trust proxy` understands it: a number of hops
 * (`1`: the nearest proxy), or addresses, subnets and the names `loopback`,
 * `linklocal`, `uniquelocal`, comma-separated. `true` is refused: trusting
 * every hop lets any client choose its own address (and so its throttle).
 */
function parseTrustProxy(value: string | undefined): number | string[] | null {
  if (value === undefined || value.trim() === "" || value === "false") return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  if (value.trim() === "true") {
    throw new ConfigurationError(
      "TRUST_PROXY: give the hop count (e.g. 1) or the proxy addresses, not true: trusting every hop lets clients pick their address",
    );
  }
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function parseSecure(value: string): boolean | "auto" {
  if (value === "auto") return "auto";
  if (value === "true") return true;
  if (value === "false") return false;
  throw new ConfigurationError(`COOKIE_SECURE: "${value}" must be auto, true or false`);
}

/**
 * `SESSION_SECRET` as a list, or a secret generated once into `<dataDir>/secret`
 * so sessions survive a restart of `npm start`. Generated secrets are fine
 * for one machine; a fleet needs the same secret everywhere, hence the warning.
 */
function readSecrets(
  value: string | undefined,
  dataDir: string,
  warn: (message: string) => void,
): string[] {
  if (value !== undefined && value.trim() !== "") {
    return value
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  }
  const file = join(dataDir, "secret");
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    // 32 random bytes: the HMAC-SHA256 key length the core asks for (MIN_SECRET_BYTES).
    writeFileSync(file, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  }
  warn(
    `SESSION_SECRET is not set: using the secret generated in ${file}. Set SESSION_SECRET (comma-separated, first signs) in production.`,
  );
  return [readFileSync(file, "utf8").trim()];
}
