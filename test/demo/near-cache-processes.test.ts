/**
 * CONTRACT §2, "revocation takes effect on every server at once, caches
 * included", with per-process near caches: three demo processes share
 * `tiered:?durable=…&cache=memory:` (PostgreSQL, whose LISTEN/NOTIFY is the
 * channel; MariaDB with a Redis channel). Logout, revoke-one, revoke-others,
 * logout-all and password change made through one process are honoured by
 * the other two on their very next request — 100 of 100 rounds each, with
 * background traffic on all three keeping their near caches busy.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ADMIN, DemoClient, type DemoServer, startDemo } from "../support/demo-server.js";
import { describeWithService, redisUnavailable, SERVICE_URLS } from "../support/services.js";
import { dropTable, mysqlUnavailable, pgUnavailable, uniqueTable } from "../support/sql.js";

const ROUNDS = Number(process.env.CLOAKROOM_NEAR_CACHE_ROUNDS ?? 100);
const enc = encodeURIComponent;

const redisDown = await redisUnavailable();

/** One user agent (cookie jar) that can talk to any of the three processes. */
class Device {
  readonly jar = new Map<string, string>();
  on(server: DemoServer): DemoClient {
    const c = new DemoClient(server.url);
    Object.defineProperty(c, "jar", { value: this.jar });
    return c;
  }
}

const tables: ["postgres" | "mysql", string][] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const [d, t] of tables) await dropTable(d, t).catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const flavours = [
  {
    name: "PostgreSQL durable (LISTEN/NOTIFY)",
    unavailable: pgUnavailable,
    store: () => {
      const t = uniqueTable("crnp");
      tables.push(["postgres", t]);
      return `tiered:?durable=${enc(`${SERVICE_URLS.postgres}?table=${t}&migrate=true`)}&cache=memory:`;
    },
  },
  {
    name: "MariaDB durable (Redis channel)",
    unavailable: mysqlUnavailable ?? redisDown,
    store: () => {
      const t = uniqueTable("crnp");
      tables.push(["mysql", t]);
      return `tiered:?durable=${enc(`${SERVICE_URLS.mysql}?table=${t}&migrate=true`)}&cache=memory:&channel=${enc(SERVICE_URLS.redis)}`;
    },
  },
];

for (const f of flavours) {
  describeWithService(
    f.name,
    f.unavailable,
    `near cache across three demo processes: ${f.name}`,
    () => {
      const servers: DemoServer[] = [];
      afterAll(async () => {
        await Promise.all(servers.splice(0).map((s) => s.stop(true)));
      });

      it(`logout, revoke-one, revoke-others, logout-all and password change on one process are honoured by the others, ${ROUNDS} of ${ROUNDS} rounds each, under background load`, async () => {
        const shared = mkdtempSync(join(tmpdir(), "cloakroom-near-"));
        dirs.push(shared);
        const env = { SESSION_STORE: f.store(), USER_DB: `sqlite:${join(shared, "users.db")}` };
        // One after the other: the first one migrates and seeds the admin.
        for (let i = 0; i < 3; i++) servers.push(await startDemo({ env }));
        const [p0, p1, p2] = servers as [DemoServer, DemoServer, DemoServer];
        let password = ADMIN.password;

        // Background traffic: a signed-in device reading through all three processes.
        const busy = new Device();
        expect((await busy.on(p0).login(ADMIN.username, password)).status).toBe(303);
        let stop = false;
        let background = 0;
        const load = (async () => {
          while (!stop) {
            for (const s of servers) {
              const r = await busy.on(s).get("/api/me");
              if (r.status === 200 || r.status === 401) background++;
            }
          }
        })();

        /** Signed in on each process, as its near cache sees it: true/false per process. */
        const seenBy = async (d: Device, on: DemoServer[]) =>
          Promise.all(on.map(async (s) => (await d.on(s).get("/api/me")).status === 200));
        const twoDevices = async () => {
          const [a, b] = [new Device(), new Device()];
          expect((await a.on(p0).login(ADMIN.username, password)).status).toBe(303);
          expect((await b.on(p1).login(ADMIN.username, password)).status).toBe(303);
          // Warm every near cache with both sessions.
          expect(await seenBy(a, servers)).toEqual([true, true, true]);
          expect(await seenBy(b, servers)).toEqual([true, true, true]);
          return { a, b };
        };
        const others = [p1, p2];
        const held = { logout: 0, revokeOne: 0, revokeOthers: 0, logoutAll: 0, passwordChange: 0 };

        for (let round = 0; round < ROUNDS; round++) {
          {
            const { a } = await twoDevices();
            expect((await a.on(p0).post("/logout")).status).toBeLessThan(400);
            if ((await seenBy(a, others)).every((x) => !x)) held.logout++;
          }
          {
            const { a, b } = await twoDevices();
            const list = (await a.on(p0).get("/api/sessions")).json<{
              sessions: { id: string; current: boolean }[];
            }>().sessions;
            const bId = await (async () => {
              const mine = (await b.on(p1).get("/api/sessions")).json<{
                sessions: { id: string; current: boolean }[];
              }>().sessions;
              return mine.find((s) => s.current)!.id;
            })();
            expect(list.some((s) => s.id === bId)).toBe(true);
            expect((await a.on(p0).post(`/sessions/${bId}/revoke`)).status).toBeLessThan(400);
            if ((await seenBy(b, others)).every((x) => !x)) held.revokeOne++;
          }
          {
            const { a, b } = await twoDevices();
            expect((await a.on(p0).post("/sessions/revoke-others")).status).toBeLessThan(400);
            const bGone = (await seenBy(b, others)).every((x) => !x);
            const aKept = (await seenBy(a, others)).every((x) => x);
            if (bGone && aKept) held.revokeOthers++;
            await a.on(p0).post("/logout");
          }
          {
            const { a, b } = await twoDevices();
            expect((await a.on(p0).post("/logout-all")).status).toBeLessThan(400);
            const gone = [...(await seenBy(a, others)), ...(await seenBy(b, others))].every(
              (x) => !x,
            );
            if (gone) held.logoutAll++;
            // The background device was signed in as the same user: sign it in again.
            await busy.on(p2).login(ADMIN.username, password);
          }
          {
            const { a, b } = await twoDevices();
            const next = `near-cache-pw-${round}-${Date.now()}`;
            const r = await a
              .on(p0)
              .post("/account/password", { current: password, password: next });
            expect(r.status).toBeLessThan(400);
            password = next;
            const bGone = (await seenBy(b, others)).every((x) => !x);
            const aKept = (await seenBy(a, others)).every((x) => x);
            if (bGone && aKept) held.passwordChange++;
            await a.on(p0).post("/logout");
            await busy.on(p2).login(ADMIN.username, password);
          }
        }
        stop = true;
        await load;
        console.log(
          `[near cache, ${f.name}] ${ROUNDS} rounds × 5 operations on 3 processes, ${background} background requests alongside`,
        );
        expect(held).toEqual({
          logout: ROUNDS,
          revokeOne: ROUNDS,
          revokeOthers: ROUNDS,
          logoutAll: ROUNDS,
          passwordChange: ROUNDS,
        });
        expect(background).toBeGreaterThan(0);
      }, 900_000);
    },
  );
}

describe("near cache across processes: configuration", () => {
  it("a demo on a near cache over a shared store without a channel refuses to start, naming the fix", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cloakroom-near-"));
    dirs.push(dir);
    await expect(
      startDemo({
        env: {
          SESSION_STORE: `tiered:?durable=${enc(`sqlite:${join(dir, "s.db")}`)}&cache=memory:`,
        },
      }),
    ).rejects.toThrow(/invalidation channel[\s\S]*singleProcess/);
  });
});
