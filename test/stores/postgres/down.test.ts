/**
 * A lost connection fails the request fast with StoreUnavailableError, and
 * the pool recovers by itself (test/support/store-outage.ts). The store's
 * backends — and only them, found by a unique application_name — are
 * terminated on the shared server; the server itself keeps running.
 */
import { afterAll, expect } from "vitest";
import { createPostgresStore } from "../../../src/stores/postgres/index.js";
import { describeWithService } from "../../support/services.js";
import { dropTable, PG_URL, pgAdmin, pgUnavailable, uniqueTable } from "../../support/sql.js";
import { storeOutage } from "../../support/store-outage.js";

describeWithService("postgres", pgUnavailable, "postgres store: connections lost", () => {
  const table = uniqueTable("crt_pgdown");
  const app = `cloakroom_down_${process.pid}_${Date.now()}`;
  afterAll(() => dropTable("postgres", table));

  storeOutage({
    how: "pg_terminate_backend",
    open: async () => {
      const store = await createPostgresStore({
        url: `${PG_URL}?application_name=${app}`,
        table,
        migrate: true,
        max: 4,
      });
      const kill = async () => {
        const killed = await pgAdmin<{ ok: boolean }>(
          "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1",
          [app],
        );
        expect(killed.every((k) => k.ok)).toBe(true);
        return killed.length;
      };
      return { store, kill, close: () => store.close() };
    },
  });
});
