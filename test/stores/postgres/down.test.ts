/**
 * A lost connection fails the request fast with StoreUnavailableError, and
 * the pool recovers by itself. The store's backends — and only them, found by
 * a unique application_name — are terminated on the shared server; the
 * server itself keeps running.
 */

import { record, testKey } from "cloakroom-sessions/testing";
import { afterAll, expect, it } from "vitest";
import { StoreUnavailableError } from "../../../src/core/errors.js";
import { createPostgresStore } from "../../../src/stores/postgres/index.js";
import { describeWithService } from "../../support/services.js";
import { dropTable, PG_URL, pgAdmin, pgUnavailable, uniqueTable } from "../../support/sql.js";

describeWithService("postgres", pgUnavailable, "postgres store: connections lost", () => {
  const table = uniqueTable("crt_pgdown");
  const app = `cloakroom_down_${process.pid}_${Date.now()}`;
  afterAll(() => dropTable("postgres", table));

  const terminate = () =>
    pgAdmin<{ ok: boolean }>(
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1",
      [app],
    );

  /** Resolves to "ok" or "unavailable"; any other outcome fails the test. */
  const outcome = (p: Promise<unknown>) =>
    p.then(
      () => "ok",
      (err) => {
        expect(err).toBeInstanceOf(StoreUnavailableError);
        return "unavailable";
      },
    );

  it("fails fast or reconnects after pg_terminate_backend, then serves again", async () => {
    const store = await createPostgresStore({
      url: `${PG_URL}?application_name=${app}`,
      table,
      migrate: true,
      max: 4,
    });
    try {
      const key = testKey();
      await store.create(key, record());
      // Warm several pooled connections so that all of them die at once.
      await Promise.all(Array.from({ length: 4 }, () => store.get(key, Date.now())));
      const killed = await terminate();
      expect(killed.length).toBeGreaterThan(0);
      expect(killed.every((k) => k.ok)).toBe(true);

      const started = Date.now();
      await outcome(store.get(key, Date.now()));
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await store.get(key, Date.now())).not.toBeNull();

      // Killed while requests are in flight: each one succeeds or fails typed.
      const inFlight = Array.from({ length: 8 }, (_, i) =>
        outcome(
          store.patch(key, { set: { [`k${i}`]: "1" }, unset: [], maxBytes: 65536 }, Date.now()),
        ),
      );
      await terminate();
      const results = await Promise.all(inFlight);
      expect(results.every((r) => r === "ok" || r === "unavailable")).toBe(true);
      // Recovered: nothing acknowledged was lost, and new writes go through.
      const after = await store.get(key, Date.now());
      for (const [i, r] of results.entries())
        if (r === "ok") expect(after!.data[`k${i}`]).toBe("1");
      expect(
        await store.patch(key, { set: { again: "1" }, unset: [], maxBytes: 65536 }, Date.now()),
      ).toBe("ok");
    } finally {
      await store.close();
    }
  });
});
