/**
 * `USER_DB=postgres://…`: the demo keeps its users in PostgreSQL — the
 * table is migrated at start, the admin is seeded there, registrations land
 * there with an argon2id hash, and a restarted demo (a new data directory,
 * so nothing local survives) still knows them.
 *
 * Each run gets its own schema (through libpq's `options=-c search_path=…`
 * in the URL), so parallel runs and other suites never share `demo_users`.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  ADMIN,
  DemoClient,
  type DemoServer,
  startDemo,
  uniqueName,
} from "../support/demo-server.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";

const unavailable = await probe("postgres", async () => {
  const c = new pg.Client({ connectionString: SERVICE_URLS.postgres });
  try {
    await c.connect();
    await c.query("SELECT 1");
  } finally {
    await c.end();
  }
});

/** Lower-case letters and digits only: safe to splice into SQL as an identifier. */
const SCHEMA = `demo_users_${randomBytes(6).toString("hex")}`;

function userDbUrl(): string {
  const url = new URL(SERVICE_URLS.postgres);
  url.searchParams.set("options", `-c search_path=${SCHEMA}`);
  return url.toString();
}

describeWithService("postgres", unavailable, "demo with USER_DB=postgres://", () => {
  let admin: pg.Client;
  let demo: DemoServer | undefined;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: SERVICE_URLS.postgres });
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${SCHEMA}"`);
  });
  afterAll(async () => {
    await demo?.stop(true);
    await admin?.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    await admin?.end();
  });

  it("migrates, seeds the admin, stores new users with argon2id hashes, and keeps them across a restart", async () => {
    demo = await startDemo({ env: { USER_DB: userDbUrl() } });
    const table = await admin.query(
      "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'demo_users'",
      [SCHEMA],
    );
    expect(table.rowCount).toBe(1);
    // Users went to PostgreSQL, not to the SQLite default next to the sessions.
    expect(existsSync(join(demo.dataDir, "users.db"))).toBe(false);

    const seeded = await admin.query(
      `SELECT roles FROM "${SCHEMA}".demo_users WHERE username = $1`,
      [ADMIN.username],
    );
    expect(seeded.rows).toEqual([{ roles: ["admin", "member"] }]);

    const username = uniqueName("pg");
    const password = "postgres-user-password";
    const a = new DemoClient(demo.url);
    expect((await a.register(username, password)).status).toBe(303);
    expect((await a.get("/api/me")).json()).toEqual({ username, roles: ["member"] });
    const row = await admin.query(
      `SELECT password_hash FROM "${SCHEMA}".demo_users WHERE username = $1`,
      [username],
    );
    expect(row.rows[0]?.password_hash).toMatch(/^\$argon2id\$v=19\$/);
    expect(row.rows[0]?.password_hash).not.toContain(password);

    // The admin page lists users from PostgreSQL.
    const boss = new DemoClient(demo.url);
    expect((await boss.login(ADMIN.username, ADMIN.password)).status).toBe(303);
    expect((await boss.get("/admin")).text).toContain(`data-user="${username}"`);

    // A new process and a new data directory: only PostgreSQL remembers the user.
    await demo.stop(true);
    demo = await startDemo({ env: { USER_DB: userDbUrl() } });
    const again = new DemoClient(demo.url);
    expect((await again.login(username, password)).status).toBe(303);
    expect((await again.login(username, "not-the-password")).status).toBe(401);
    const count = await admin.query(`SELECT count(*)::int AS n FROM "${SCHEMA}".demo_users`);
    expect(count.rows[0]).toEqual({ n: 2 }); // the admin seeded once, not twice
  });
});
