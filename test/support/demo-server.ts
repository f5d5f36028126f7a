/**
 * Starts the demo exactly as `npm start` does (a child process running
 * examples/demo/main.ts through tsx), on a free port, with a temporary data
 * directory and a test secret. Ready when it answers a real HTTP request.
 * Also a tiny cookie-jar client, so tests control every Cookie header.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSX = join(ROOT, "node_modules/.bin/tsx");

export const TEST_SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz";
export const ADMIN = { username: "admin", password: "admin-password-123" };

export interface DemoServer {
  url: string;
  dataDir: string;
  /** stdout and stderr so far, for failure messages and log assertions. */
  logs(): string;
  /** Stops the process; keeps the data directory unless `cleanup`. */
  stop(cleanup?: boolean): Promise<void>;
}

export interface DemoOptions {
  framework?: string;
  /** Extra or overriding environment (SESSION_STORE, SESSION_SECRET, …). */
  env?: Record<string, string>;
  /** Reuse a data directory (restart on the same users and sessions). */
  dataDir?: string;
}

/** Starts the demo and resolves once it answered `GET /style.css`. */
export async function startDemo(options: DemoOptions = {}): Promise<DemoServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "cloakroom-demo-"));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    PORT: "0",
    DEMO_DATA_DIR: dataDir,
    SESSION_STORE: `sqlite:${join(dataDir, "sessions.db")}`,
    USER_DB: `sqlite:${join(dataDir, "users.db")}`,
    SESSION_SECRET: TEST_SECRET,
    DEMO_ADMIN_USER: ADMIN.username,
    DEMO_ADMIN_PASSWORD: ADMIN.password,
    DEMO_FRAMEWORK: options.framework ?? "express",
    // Tests register many users from 127.0.0.1; the budget itself is tested on its own.
    DEMO_REGISTRATIONS_PER_HOUR: "100000",
    ...options.env,
  };
  const child = spawn(TSX, ["--conditions=cloakroom-source", join(ROOT, "examples/demo/main.ts")], {
    cwd: dataDir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (b: Buffer) => {
    output += b.toString();
  });
  child.stderr!.on("data", (b: Buffer) => {
    output += b.toString();
  });
  const url = await listeningUrl(child, () => output);
  await probeHttp(url);
  return {
    url,
    dataDir,
    logs: () => output,
    stop: async (cleanup = false) => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      if (cleanup) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The URL from the "listening on" line; rejects when the process exits or stays silent for 60 s. */
function listeningUrl(child: ChildProcess, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`demo did not start in 60 s:\n${output()}`));
    }, 60_000);
    const check = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output());
      if (m) {
        clearTimeout(timer);
        child.stdout!.off("data", check);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code}:\n${output()}`));
    });
  });
}

async function probeHttp(url: string): Promise<void> {
  const res = await fetch(`${url}/style.css`);
  if (res.status !== 200) throw new Error(`demo answered ${res.status} to GET /style.css`);
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body (throws when it is not JSON). */
  json<T = Record<string, unknown>>(): T;
  /** Every Set-Cookie line of this reply. */
  setCookies: string[];
}

export interface RequestOptions {
  form?: Record<string, string>;
  json?: unknown;
  /** Raw body with its own content-type header. */
  body?: string;
  headers?: Record<string, string>;
}

/** A browser-less client with a cookie jar: the tests see and control every cookie. */
export class DemoClient {
  readonly jar = new Map<string, string>();
  constructor(readonly base: string) {}

  get cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.jar.size > 0 && headers.cookie === undefined) headers.cookie = this.cookieHeader;
    let body: string | undefined = options.body;
    if (options.form) {
      headers["content-type"] ??= "application/x-www-form-urlencoded";
      body = new URLSearchParams(options.form).toString();
    } else if (options.json !== undefined) {
      headers["content-type"] ??= "application/json";
      body = JSON.stringify(options.json);
    }
    const res = await fetch(this.base + path, { method, headers, body, redirect: "manual" });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) this.#store(line);
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      text,
      json: <T>() => JSON.parse(text) as T,
      setCookies,
    };
  }

  get(path: string, options?: RequestOptions) {
    return this.request("GET", path, options);
  }

  /** This session's CSRF token (creates the session when there is none). */
  async csrf(): Promise<string> {
    const r = await this.get("/api/csrf");
    if (r.status !== 200) throw new Error(`GET /api/csrf: ${r.status} ${r.text}`);
    return r.json<{ token: string }>().token;
  }

  /** POSTs a form with this session's CSRF token. */
  async post(path: string, form: Record<string, string> = {}, headers?: Record<string, string>) {
    return this.request("POST", path, { form: { _csrf: await this.csrf(), ...form }, headers });
  }

  async login(username: string, password: string, remember = false): Promise<Reply> {
    return this.post("/login", { username, password, ...(remember ? { remember: "on" } : {}) });
  }

  async register(username: string, password: string): Promise<Reply> {
    return this.post("/register", { username, password });
  }

  /** A second client carrying a copy of this jar (a stolen or shared cookie). */
  clone(): DemoClient {
    const c = new DemoClient(this.base);
    for (const [k, v] of this.jar) c.jar.set(k, v);
    return c;
  }

  #store(line: string): void {
    const [pair, ...attrs] = line.split(";");
    const eq = pair!.indexOf("=");
    const name = pair!.slice(0, eq).trim();
    const value = pair!.slice(eq + 1).trim();
    const expired = attrs.some((a) => {
      const [k, v] = a.trim().split("=");
      if (k?.toLowerCase() === "max-age") return Number(v) <= 0;
      if (k?.toLowerCase() === "expires") return Date.parse(v ?? "") <= Date.now();
      return false;
    });
    if (expired || value === "") this.jar.delete(name);
    else this.jar.set(name, value);
  }
}

/** A username no other test uses. */
export function uniqueName(prefix = "u"): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
