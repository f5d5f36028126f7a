/**
 * Issue 10 finding 8, the scenario as it was seen on the demo: an admin
 * changes a user's roles, so every request of that user rotates its token
 * (SM-05). Nine requests in flight on one (stolen) cookie used to leave nine
 * sessions, past the per-user cap. Rotation is now conditional on the old
 * record: one of them rotates, the other eight continue anonymous.
 *
 * The demo runs in this process on the Redis store, so that a barrier at the
 * store's "indexed" point (the first step of a rotation, before the old
 * record is claimed; of a create, on the code before the fix) holds every
 * request until all nine have loaded the session and are rotating it: the
 * interleaving is forced, not hoped for.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DemoContext } from "../../examples/demo/app/context.js";
import { closeDemo, createDemo } from "../../examples/demo/app/create.js";
import { loadConfig } from "../../examples/demo/config.js";
import { listenExpress } from "../../examples/demo/wiring/express.js";
import { setInterleaveHook } from "../../src/core/interleave.js";
import { ADMIN, DemoClient, TEST_SECRET, uniqueName } from "../support/demo-server.js";
import { describeWithService, redisUnavailable, SERVICE_URLS } from "../support/services.js";

const IN_FLIGHT = 9;

describeWithService(
  "redis",
  await redisUnavailable(),
  "demo: a role change while requests are in flight",
  () => {
    const dataDir = mkdtempSync(join(tmpdir(), "cloakroom-rotation-demo-"));
    let ctx: DemoContext;
    let server: Server;
    let url: string;

    beforeAll(async () => {
      const config = loadConfig(
        {
          PORT: "0",
          DEMO_DATA_DIR: dataDir,
          SESSION_STORE: `${SERVICE_URLS.redis}?keyPrefix=rot${process.pid}${Date.now()}:`,
          USER_DB: `sqlite:${join(dataDir, "users.db")}`,
          SESSION_SECRET: TEST_SECRET,
          DEMO_ADMIN_USER: ADMIN.username,
          DEMO_ADMIN_PASSWORD: ADMIN.password,
          DEMO_REGISTRATIONS_PER_HOUR: "100000",
          AUDIT_LOG: join(dataDir, "audit.jsonl"),
        },
        () => {},
      );
      ctx = await createDemo(config);
      server = await listenExpress(ctx, 0);
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      setInterleaveHook(undefined);
      server?.close();
      server?.closeAllConnections?.();
      if (ctx) await closeDemo(ctx);
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("nine in-flight requests on one cookie rotate it into one session, not nine", async () => {
      const username = uniqueName("rot");
      const owner = new DemoClient(url);
      expect((await owner.register(username, `pw-${username}`)).status).toBe(303);
      expect((await owner.get("/api/me")).status).toBe(200);
      const admin = new DemoClient(url);
      expect((await admin.login(ADMIN.username, ADMIN.password)).status).toBe(303);
      const r = await admin.post(`/admin/users/${username}/roles`, {
        role: "admin",
        action: "add",
      });
      expect(r.status, r.text).toBe(303);

      // The barrier: every rotation waits at its first store step until all nine are there.
      let arrived = 0;
      let open!: () => void;
      const allThere = new Promise<void>((resolve) => {
        open = resolve;
      });
      setInterleaveHook(async (point) => {
        if (!point.endsWith(":indexed")) return;
        if (++arrived === IN_FLIGHT) open();
        await allThere;
      });
      // Not a synchronisation: only so that code where fewer than nine get
      // there (the code before the fix) fails on the assertions below, not by hanging.
      const hangGuard = setTimeout(open, 10_000);
      const thieves = Array.from({ length: IN_FLIGHT }, () => owner.clone());
      const before = owner.jar.get("cloakroom");
      let replies: Awaited<ReturnType<DemoClient["get"]>>[];
      try {
        replies = await Promise.all(thieves.map((t) => t.get("/api/me")));
      } finally {
        clearTimeout(hangGuard);
        setInterleaveHook(undefined);
      }
      expect(arrived).toBe(IN_FLIGHT);
      // Each request loaded the session while it was alive: each was served signed in.
      for (const reply of replies) expect(reply.status).toBe(200);
      const rotated = thieves.filter((t) => t.jar.get("cloakroom") !== before);
      expect(rotated).toHaveLength(1);
      const list = (await rotated[0]!.get("/api/sessions")).json<{ sessions: unknown[] }>();
      expect(list.sessions).toHaveLength(1);
      // The others still hold the old cookie, which is dead: signed out on their next request.
      for (const t of thieves.filter((x) => x !== rotated[0]))
        expect((await t.get("/api/me")).status).toBe(401);
    });
  },
);
