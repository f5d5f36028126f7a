/**
 * PostgreSQL and MariaDB under a mixed workload, each on a private server
 * started for this file (never the shared 5432/3306):
 * - every client backend terminated (pg_terminate_backend / KILL CONNECTION);
 * - the server crashed (PostgreSQL immediate shutdown, MariaDB SIGKILL) and
 *   started again: committed writes survive crash recovery;
 * - the sessions table locked for three seconds (LOCK TABLE … ACCESS
 *   EXCLUSIVE / LOCK TABLES … WRITE): statements hit the store's 1 s
 *   deadline (PostgreSQL: statement_timeout, server side) and answer 503,
 *   nothing waits past it, and service resumes when the lock goes.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { SessionStore } from "../../src/core/store.js";
import { createMysqlStore } from "../../src/stores/mysql/index.js";
import { createPostgresStore } from "../../src/stores/postgres/index.js";
import { describeWithService } from "../support/services.js";
import { expectNothingLost, printRows, seconds } from "./support/report.js";
import { runScenario, sleep } from "./support/scenario.js";
import {
  type PrivateSql,
  privateMariadbMissing,
  privatePostgresMissing,
  startMariadb,
  startPostgres,
} from "./support/sql-servers.js";

const TABLE = "sessions_faults";
const QUERY_TIMEOUT = 1000;

afterAll(printRows);

interface Dialect {
  name: string;
  missing: string | null;
  start(): Promise<PrivateSql>;
  open(server: PrivateSql): Promise<SessionStore>;
  killBackends(server: PrivateSql): Promise<number>;
  /** Holds a lock on the sessions table for `ms`, on a connection of its own. */
  lockTable(server: PrivateSql, ms: number): Promise<void>;
}

const DIALECTS: Dialect[] = [
  {
    name: "postgres",
    missing: privatePostgresMissing(),
    start: startPostgres,
    open: (s) =>
      createPostgresStore({
        url: `${s.url}?application_name=faults_app`,
        table: TABLE,
        migrate: true,
        queryTimeout: QUERY_TIMEOUT,
        connectTimeout: QUERY_TIMEOUT,
      }),
    killBackends: async (s) =>
      (
        await s.admin(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'faults_app'",
        )
      ).length,
    lockTable: async (s, ms) => {
      const pg = (await import("pg")).default;
      const c = new pg.Client({ connectionString: s.url });
      await c.connect();
      try {
        await c.query("BEGIN");
        await c.query(`LOCK TABLE ${TABLE} IN ACCESS EXCLUSIVE MODE`);
        await sleep(ms);
        await c.query("COMMIT");
      } finally {
        await c.end();
      }
    },
  },
  {
    name: "mariadb",
    missing: privateMariadbMissing(),
    start: startMariadb,
    open: (s) =>
      createMysqlStore({
        url: s.url,
        table: TABLE,
        migrate: true,
        queryTimeout: QUERY_TIMEOUT,
        connectTimeout: QUERY_TIMEOUT,
      }),
    killBackends: async (s) => {
      const rows = await s.admin(
        "SELECT id FROM information_schema.PROCESSLIST WHERE id <> CONNECTION_ID() AND db = 'test'",
      );
      for (const r of rows) await s.admin(`KILL CONNECTION ${Number(r.id)}`).catch(() => undefined);
      return rows.length;
    },
    lockTable: async (s, ms) => {
      const mysql = (await import("mysql2/promise")).default;
      const c = await mysql.createConnection({ uri: s.url });
      try {
        await c.query(`LOCK TABLES ${TABLE} WRITE`);
        await sleep(ms);
        await c.query("UNLOCK TABLES");
      } finally {
        await c.end();
      }
    },
  },
];

// Both private servers start at once (initdb and mariadb-install-db take
// seconds each); each file's scenarios then run one after another.
const starting = new Map(
  DIALECTS.filter((d) => d.missing === null).map((d) => {
    const p = d.start();
    // Awaited in its beforeAll; a failure is reported there, not as an unhandled rejection.
    p.catch(() => undefined);
    return [d.name, p] as const;
  }),
);

for (const d of DIALECTS) {
  describeWithService(`private ${d.name}`, d.missing, `faults: ${d.name} under load`, () => {
    let server: PrivateSql;
    let store: SessionStore;
    beforeAll(async () => {
      server = await starting.get(d.name)!;
      store = await d.open(server);
    }, 120_000);
    afterAll(async () => {
      await store?.close?.();
      await server?.stop();
    });

    it("every client backend terminated, three times", { timeout: 120_000 }, async () => {
      let killed = 0;
      const { result, notes } = await runScenario({
        scenario: `${d.name} backends terminated ×3`,
        store: d.name,
        open: store,
        warmMs: seconds(1, 10),
        fault: async (w) => {
          w.fault();
          for (let i = 0; i < 3; i++) {
            killed += await d.killBackends(server);
            await sleep(300);
          }
          w.healed();
        },
        afterMs: seconds(2, 15),
        extra: () => `${killed} connections killed`,
      });
      expectNothingLost(result, notes);
      expect(killed).toBeGreaterThan(0);
    });

    it("server crashed and started again", { timeout: 120_000 }, async () => {
      const { result, notes } = await runScenario({
        scenario: `${d.name} crash + restart`,
        store: d.name,
        open: store,
        warmMs: seconds(1, 10),
        fault: async (w) => {
          w.fault();
          await server.crash();
          await sleep(1000);
          await server.start();
          w.healed();
        },
        afterMs: seconds(3, 15),
      });
      expectNothingLost(result, notes);
      expect(result.errors["503"]).toBeGreaterThan(0);
      expect(result.recoveryMs).not.toBeNull();
    });

    it(`table locked for 3 s: the ${QUERY_TIMEOUT} ms deadline holds`, {
      timeout: 120_000,
    }, async () => {
      const { result, notes } = await runScenario({
        scenario: `${d.name} table lock 3 s (deadline ${QUERY_TIMEOUT} ms)`,
        store: d.name,
        open: store,
        warmMs: seconds(1, 10),
        fault: async (w) => {
          w.fault();
          await d.lockTable(server, 3000);
          w.healed();
        },
        afterMs: seconds(2, 15),
      });
      expectNothingLost(result, notes);
      expect(result.errors["503"]).toBeGreaterThan(0);
      expect(result.errors.timeout).toBe(0);
      // No request waits for the lock past the deadline: a request makes up to two
      // statements (read, then write), each bounded by the deadline including its
      // wait for a pooled connection; plus slack, plus the worst event-loop stall
      // measured in this run (a loaded machine delays every timer by that much).
      expect(result.p99FaultMs).toBeLessThan(QUERY_TIMEOUT * 2 + 1500 + result.loopLagMaxMs);
    });
  });
}
