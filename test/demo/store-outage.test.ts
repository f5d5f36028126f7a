/**
 * CONTRACT §3 "store unreachable": the demo answers 503 (short page or JSON)
 * while its session store is down, keeps running, and recovers by itself.
 * The store is a PRIVATE redis-server on its own port, started and killed
 * here, never the shared one; append-only with fsync always so that the
 * session acknowledged before the outage is still there after it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { afterAll, expect, it } from "vitest";
import { DemoClient, type DemoServer, startDemo, uniqueName } from "../support/demo-server.js";
import { describeWithService, probe } from "../support/services.js";

const REDIS_SERVER = "/usr/bin/redis-server";
const unavailable = existsSync(REDIS_SERVER) ? null : `${REDIS_SERVER} is not installed`;

describeWithService("redis-server binary", unavailable, "demo with its store down", () => {
  const dir = mkdtempSync(join(tmpdir(), "cloakroom-demo-redis-"));
  let redis: ChildProcess | undefined;
  let demo: DemoServer | undefined;
  let port = 0;

  afterAll(async () => {
    await demo?.stop(true);
    await stopRedis();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startRedis(): Promise<void> {
    redis = spawn(
      REDIS_SERVER,
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
      ],
      { stdio: "ignore" },
    );
    const url = `redis://127.0.0.1:${port}`;
    // Ready when it answers PING (a real round trip), retried while it boots.
    for (let i = 0; i < 100; i++) {
      const err = await probe(
        "redis",
        async () => {
          const c = createClient({ url, socket: { reconnectStrategy: false } });
          c.on("error", () => {}); // failures surface through connect()/ping(); without a listener node-redis throws
          await c.connect();
          await c.ping();
          await c.close();
        },
        1000,
      );
      if (err === null) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("private redis-server did not answer PING");
  }

  async function stopRedis(): Promise<void> {
    if (!redis || redis.exitCode !== null) return;
    const exited = new Promise((r) => redis!.once("exit", r));
    redis.kill("SIGKILL");
    await exited;
  }

  it("503 while the store is down, then recovers with the session intact", async () => {
    port = await freePort();
    await startRedis();
    demo = await startDemo({ env: { SESSION_STORE: `redis://127.0.0.1:${port}/0` } });
    const c = new DemoClient(demo.url);
    const username = uniqueName();
    expect((await c.register(username, "outage-password-1")).status).toBe(303);
    expect((await c.get("/api/me")).status).toBe(200);

    await stopRedis();
    const api = await c.get("/api/me");
    expect(api.status).toBe(503);
    expect(api.json()).toHaveProperty("error");
    const page = await c.get("/sessions");
    expect(page.status).toBe(503);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.text).toContain("unavailable");
    expect((await new DemoClient(demo.url).get("/")).status).toBe(200); // no cookie: no store call needed

    await startRedis();
    // The store client reconnects by itself; poll with real requests until it has.
    let status = 0;
    for (let i = 0; i < 60 && status !== 200; i++) {
      status = (await c.get("/api/me")).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(200);
    expect((await c.get("/api/me")).json()).toEqual({ username, roles: ["member"] });
  }, 120_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}
