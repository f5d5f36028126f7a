/**
 * `npm run test:pack`: what a new user lives through, end to end. Packs the
 * package, installs the tarball into fresh copies of the example apps
 * (examples/express, fastify, hono, fetch, commonjs) in a temporary folder,
 * type-checks each with its own tsconfig (strict, exactOptionalPropertyTypes,
 * skipLibCheck: false), starts it and drives a login and a session write over
 * HTTP. Dependencies come from the registry through npm's cache
 * (--prefer-offline), so a machine that ran `npm install` here needs no
 * download. Exit code 0 when every app passed.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const APPS = (
  process.argv.slice(2).length > 0
    ? process.argv.slice(2)
    : ["express", "fastify", "hono", "fetch", "commonjs"]
) as string[];
const SECRET = "pack-test-secret-0123456789-abcdefghij";

function sh(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(
      `${cmd} ${args.join(" ")} failed in ${cwd}:\n${e.stdout ?? ""}${e.stderr ?? ""}`,
    );
  }
}

function log(msg: string): void {
  console.log(`[test:pack] ${msg}`);
}

/** A cookie jar of one: enough for one session cookie. */
class Client {
  cookies = new Map<string, string>();
  constructor(readonly base: string) {}
  async req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const r = await fetch(this.base + path, {
      method,
      redirect: "manual",
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    for (const line of r.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const i = pair!.indexOf("=");
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await r.text();
    return { status: r.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
  }
  async csrf(): Promise<string> {
    const r = await this.req("GET", "/csrf");
    if (r.status !== 200) throw new Error(`GET /csrf: ${r.status} ${r.text}`);
    return String(r.json().token);
  }
}

async function drive(base: string): Promise<void> {
  const c = new Client(base);
  const anon = await c.req("GET", "/");
  if (anon.status !== 200 || anon.json().user !== null)
    throw new Error(`GET / anonymous: ${anon.status} ${anon.text}`);

  const noCsrf = await c.req("PUT", "/cart", { item: "x" });
  if (noCsrf.status !== 403)
    throw new Error(`PUT /cart without CSRF token: ${noCsrf.status}, expected 403`);

  let token = await c.csrf();
  const wrong = await c.req(
    "POST",
    "/login",
    { username: "alice", password: "nope" },
    { "x-csrf-token": token },
  );
  if (wrong.status !== 401)
    throw new Error(`wrong password: ${wrong.status} ${wrong.text}, expected 401`);
  const before = [...c.cookies.values()].join();
  const login = await c.req(
    "POST",
    "/login",
    { username: "alice", password: "correct horse battery staple" },
    { "x-csrf-token": token },
  );
  if (login.status !== 200 && login.status !== 303)
    throw new Error(`login: ${login.status} ${login.text}`);
  if ([...c.cookies.values()].join() === before)
    throw new Error("login did not rotate the session cookie");

  token = await c.csrf(); // login starts a fresh CSRF secret
  for (const item of ["apple", "pear"]) {
    const put = await c.req("PUT", "/cart", { item }, { "x-csrf-token": token });
    if (put.status !== 204) throw new Error(`PUT /cart: ${put.status} ${put.text}`);
  }
  const me = await c.req("GET", "/");
  const body = me.json();
  if (body.user !== "alice" || JSON.stringify(body.cart) !== '["apple","pear"]') {
    throw new Error(`GET / after login and two writes: ${me.text}`);
  }
}

async function start(dir: string, port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["dist/server.js"], {
    cwd: dir,
    env: {
      ...process.env,
      PORT: String(port),
      SESSION_SECRET: SECRET,
      SESSION_STORE: `file:${dataDir}`,
      NODE_ENV: "production",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "listening" within 30 s:\n${output}`)),
      30_000,
    );
    child.stdout!.on("data", () => {
      if (output.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${output}`));
    });
  });
  return child;
}

async function main(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), "cloakroom-pack-"));
  let failed = 0;
  try {
    log("packing (npm pack runs the build through the prepare script)");
    const packed = JSON.parse(sh("npm", ["pack", "--json", "--pack-destination", work], ROOT)) as {
      filename: string;
      size: number;
      entryCount: number;
    }[];
    const tarball = join(work, packed[0]!.filename);
    log(
      `${packed[0]!.filename}: ${(packed[0]!.size / 1024).toFixed(1)} kB, ${packed[0]!.entryCount} files`,
    );

    let port = 3900 + Math.floor(Math.random() * 500);
    for (const name of APPS) {
      const t0 = performance.now();
      const dir = join(work, name);
      cpSync(join(ROOT, "examples", name), dir, {
        recursive: true,
        filter: (src) => !/node_modules|[/\\]dist|[/\\]data/.test(src.slice(ROOT.length)),
      });
      const pkgPath = join(dir, "package.json");
      const pkg = JSON.parse(readFileSync(pkgPath, "utf8"));
      pkg.dependencies["cloakroom-sessions"] = `file:${tarball}`;
      writeFileSync(pkgPath, JSON.stringify(pkg, null, 2));
      let child: ChildProcess | undefined;
      try {
        sh(
          "npm",
          ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
          dir,
        );
        if (name === "fetch") {
          // The point of the fetch example: no framework installed, and still no type error.
          for (const fw of ["hono", "express", "fastify"]) {
            try {
              execFileSync(process.execPath, ["-e", `require.resolve(${JSON.stringify(fw)})`], {
                cwd: dir,
                stdio: "ignore",
              });
              throw new Error(`${fw} is installed in the fetch example; it should not be`);
            } catch (err) {
              if ((err as Error).message.includes("should not be")) throw err;
            }
          }
        }
        sh(join(dir, "node_modules/.bin/tsc"), ["-p", "."], dir);
        child = await start(dir, ++port, join(work, `${name}-data`));
        await drive(`http://127.0.0.1:${port}`);
        log(
          `${name}: ok (install, tsc --strict + exactOptionalPropertyTypes, login, session write) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        );
      } catch (err) {
        failed++;
        log(`${name}: FAILED\n${(err as Error).message}`);
      } finally {
        child?.kill();
      }
    }
  } finally {
    if (process.env.CLOAKROOM_KEEP_PACK === "1") log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  log(failed === 0 ? `all ${APPS.length} apps passed` : `${failed} of ${APPS.length} apps failed`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
