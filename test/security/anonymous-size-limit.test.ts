/**
 * Issue 10 finding 7: anonymous sessions filled the disk. `PUT
 * /api/session/:key` works for anonymous visitors (CONTRACT §3), and each
 * anonymous session could hold the signed-in limit (64 KiB): 1,500 of them
 * from one client grew the SQLite store to 99 MB. Anonymous sessions now have
 * their own limit (`anonymousMaxBytes`, 4 KiB by default), so a client that
 * never signs in stores at most that much per session. Black-box against the
 * demo on SQLite; the store's size is read from the database itself.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DemoClient, type DemoServer, startDemo } from "../support/demo-server.js";

const ANONYMOUS_LIMIT = 4096;

let demo: DemoServer;
let db: Database.Database;
beforeAll(async () => {
  demo = await startDemo();
  db = new Database(join(demo.dataDir, "sessions.db"), { readonly: true });
});
afterAll(async () => {
  db?.close();
  await demo?.stop(true);
});

/** Sessions and bytes of session data the store holds. */
const stored = () =>
  db
    .prepare(
      "SELECT count(*) AS n, coalesce(sum(length(CAST(data AS BLOB))), 0) AS bytes FROM cloakroom_sessions",
    )
    .get() as { n: number; bytes: number };

/** The database file and its write-ahead log, bytes. */
const fileBytes = () => {
  const size = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return 0;
    }
  };
  const base = join(demo.dataDir, "sessions.db");
  return size(base) + size(`${base}-wal`);
};

/** `count` anonymous visitors (10 at a time), each opening a session and writing `value` once. */
async function visitors(count: number, value: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let done = 0; done < count; done += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, count - done) }, async () => {
        const c = new DemoClient(demo.url);
        const h = { "x-csrf-token": await c.csrf() };
        return (await c.request("PUT", "/api/session/blob", { json: value, headers: h })).status;
      }),
    );
    statuses.push(...batch);
  }
  return statuses;
}

describe("anonymous sessions have a small size limit (issue 10 finding 7)", () => {
  it("1,500 anonymous 64 KiB writes from one client: every one 413, the store grows by the pre-sessions only", async () => {
    const before = stored();
    const filesBefore = fileBytes();
    // A full 64 KiB session: the value fills the signed-in limit, less the pre-session's CSRF secret.
    const statuses = await visitors(1500, "x".repeat(64 * 1024 - 256));
    expect(statuses.filter((s) => s === 413)).toHaveLength(1500);
    const after = stored();
    const sessions = after.n - before.n;
    expect(sessions).toBeLessThanOrEqual(1500);
    // Well under count × the small limit: each holds only its CSRF secret.
    expect(after.bytes - before.bytes).toBeLessThanOrEqual(sessions * 200);
    const grown = fileBytes() - filesBefore;
    console.info(
      `finding 7: 1,500 × 64 KiB anonymous writes → ${sessions} sessions, ${after.bytes - before.bytes} B of data, files +${grown} B (before the fix: 99 MB)`,
    );
    // The files also hold SQLite's write-ahead log, reused once it reaches
    // its auto-checkpoint size (1,000 pages, 4 MiB): bound it by that plus
    // count × the small limit — still under a sixth of the 99 MB seen before.
    expect(grown).toBeLessThan(1500 * ANONYMOUS_LIMIT + 8 * 1024 * 1024);
  }, 300_000);

  it("anonymous writes that fit (3.9 KiB) are kept, and the store stays within count × 4 KiB", async () => {
    const before = stored();
    const statuses = await visitors(300, "y".repeat(3900));
    expect(statuses.every((s) => s === 204)).toBe(true);
    const after = stored();
    const sessions = after.n - before.n;
    expect(sessions).toBe(300);
    expect(after.bytes - before.bytes).toBeGreaterThan(300 * 3900);
    expect(after.bytes - before.bytes).toBeLessThanOrEqual(300 * ANONYMOUS_LIMIT);
  }, 300_000);

  it("a signed-in user still has the 64 KiB limit", async () => {
    const c = new DemoClient(demo.url);
    const name = `big${Date.now().toString(36)}`;
    expect((await c.register(name, `pw-${name}`)).status).toBe(303);
    const h = { "x-csrf-token": await c.csrf() };
    const r = await c.request("PUT", "/api/session/blob", {
      json: "z".repeat(32 * 1024),
      headers: h,
    });
    expect(r.status).toBe(204);
  });
});
