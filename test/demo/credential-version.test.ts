/**
 * Issue 10 finding 2 through HTTP, on every adapter: an attacker who knows
 * the old password logs in while the owner changes it on another server,
 * and gets no signed-in session.
 *
 * Two demo servers (A and B) run in this process on the same session store
 * and user table, as two instances behind a load balancer do; in-process so
 * the attacker's POST /login on A can be held at a named pause point
 * (`src/core/interleave.ts`) after it verified the old password, while the
 * owner's POST /account/password runs on B. Then it is let go, and the
 * attacker's cookie is asked `GET /api/me` on both servers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { DemoContext } from "../../examples/demo/app/context.js";
import { closeDemo, createDemo } from "../../examples/demo/app/create.js";
import { type Framework, loadConfig } from "../../examples/demo/config.js";
import { setInterleaveHook } from "../../src/core/interleave.js";
import { DemoClient, TEST_SECRET, uniqueName } from "../support/demo-server.js";
import { describeWithService, redisUnavailable, SERVICE_URLS } from "../support/services.js";

const LISTEN: Record<
  Framework,
  () => Promise<(ctx: DemoContext, port: number) => Promise<Server>>
> = {
  express: async () => (await import("../../examples/demo/wiring/express.js")).listenExpress,
  fastify: async () => (await import("../../examples/demo/wiring/fastify.js")).listenFastify,
  hono: async () => (await import("../../examples/demo/wiring/hono.js")).listenHono,
};

afterEach(() => setInterleaveHook(undefined));

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Holds the first operation that reaches `point` until `release`. */
function holdAt(point: string) {
  let reached!: () => void;
  let release!: () => void;
  const arrived = new Promise<void>((r) => {
    reached = r;
  });
  const released = new Promise<void>((r) => {
    release = r;
  });
  setInterleaveHook(async (p) => {
    if (p !== point) return;
    setInterleaveHook(undefined);
    reached();
    await released;
  });
  return { arrived, release };
}

/** Two demo servers on `framework` sharing one session store and one user table. */
async function twoServers(framework: Framework, sessionStore: (dir: string) => string) {
  const dir = mkdtempSync(join(tmpdir(), "cloakroom-credver-demo-"));
  dirs.push(dir);
  const config = loadConfig(
    {
      PORT: "0",
      DEMO_DATA_DIR: dir,
      SESSION_STORE: sessionStore(dir),
      USER_DB: `sqlite:${join(dir, "users.db")}`,
      SESSION_SECRET: TEST_SECRET,
      DEMO_FRAMEWORK: framework,
      DEMO_REGISTRATIONS_PER_HOUR: "100000",
    },
    () => {},
  );
  const listen = await LISTEN[framework]();
  const started: { ctx: DemoContext; server: Server; url: string }[] = [];
  for (let i = 0; i < 2; i++) {
    const ctx = await createDemo(config);
    const server = await listen(ctx, 0);
    const { port } = server.address() as AddressInfo;
    started.push({ ctx, server, url: `http://127.0.0.1:${port}` });
  }
  const stop = async () => {
    for (const s of started) {
      await new Promise((r) => {
        s.server.close(r);
        s.server.closeAllConnections?.();
      });
      await closeDemo(s.ctx);
    }
  };
  return { a: started[0]!.url, b: started[1]!.url, stop };
}

const me = async (client: DemoClient, base: string) => {
  const c = new DemoClient(base);
  for (const [k, v] of client.jar) c.jar.set(k, v);
  return (await c.get("/api/me")).status;
};

function scenario(framework: Framework, store: string, sessionStore: (dir: string) => string) {
  for (const point of ["auth.login.verified", "auth.sign-in.commit"]) {
    it(`${framework} on ${store}: a login held at ${point} while the owner changes the password on another server gets no signed-in session`, async () => {
      const { a, b, stop } = await twoServers(framework, sessionStore);
      try {
        const username = uniqueName("cv");
        const OLD = `old-${username}`;
        const owner = new DemoClient(b);
        expect((await owner.register(username, OLD)).status).toBe(303);
        expect(await me(owner, b)).toBe(200);

        const attacker = new DemoClient(a);
        await attacker.csrf(); // its pre-login session, so the held request is the login itself
        const held = holdAt(point);
        const login = attacker.login(username, OLD);
        await held.arrived; // the old password is verified on A; A has written no session yet
        const change = await owner.post("/account/password", {
          current: OLD,
          password: "new-password-1",
        });
        expect(change.status, change.text).toBe(303);
        held.release();
        await login;

        expect(await me(attacker, a)).toBe(401);
        expect(await me(attacker, b)).toBe(401);
        // The owner's session goes on (on both servers), and only the new password signs in.
        expect(await me(owner, b)).toBe(200);
        expect(await me(owner, a)).toBe(200);
        expect((await new DemoClient(a).login(username, OLD)).status).toBe(401);
        expect((await new DemoClient(a).login(username, "new-password-1")).status).toBe(303);
      } finally {
        await stop();
      }
    });
  }
}

const sqlite = (dir: string) => `sqlite:${join(dir, "sessions.db")}`;

describe("demo: a password change ends the logins in flight (issue 10 finding 2)", () => {
  scenario("express", "sqlite", sqlite);
  scenario("fastify", "sqlite", sqlite);
  scenario("hono", "sqlite", sqlite);
});

const redisDown = await redisUnavailable();
describeWithService("Redis", redisDown, "demo on redis: the same", () => {
  scenario("express", "redis", () => `${SERVICE_URLS.redis}?keyPrefix=credver-demo-${Date.now()}:`);
});
