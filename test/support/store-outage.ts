/**
 * One outage suite for the pooled SQL stores: a lost connection fails the
 * request fast with StoreUnavailableError, the pool recovers by itself, and
 * nothing acknowledged is lost. Each store's test file supplies how to open
 * the store and how to kill only its own connections on the shared server
 * (the server itself keeps running).
 */
import { record, testKey } from "cloakroom-sessions/testing";
import { expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/core/errors.js";
import type { SessionStore } from "../../src/core/store.js";

export interface OutageFactory {
  /** How the connections are killed, for the test's name (e.g. "pg_terminate_backend"). */
  how: string;
  /** The store on a pool of at most 4 connections, and how to kill them; `close` ends both. */
  open(): Promise<{ store: SessionStore; kill(): Promise<number>; close(): Promise<void> }>;
}

/** Resolves to "ok" or "unavailable"; any other outcome fails the test. */
function outcome(p: Promise<unknown>): Promise<"ok" | "unavailable"> {
  return p.then(
    () => "ok" as const,
    (err) => {
      expect(err).toBeInstanceOf(StoreUnavailableError);
      return "unavailable" as const;
    },
  );
}

/** Registers the outage test; call inside the store's `describeWithService`. */
export function storeOutage(factory: OutageFactory): void {
  it(`fails fast or reconnects after ${factory.how} of its connections, then serves again`, async () => {
    const { store, kill, close } = await factory.open();
    try {
      const key = testKey();
      await store.create(key, record());
      // Warm several pooled connections so that all of them die at once.
      await Promise.all(Array.from({ length: 4 }, () => store.get(key, Date.now())));
      expect(await kill()).toBeGreaterThan(0);

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
      await kill();
      const results = await Promise.all(inFlight);
      // Recovered: nothing acknowledged was lost, and new writes go through.
      const after = await store.get(key, Date.now());
      for (const [i, r] of results.entries())
        if (r === "ok") expect(after!.data[`k${i}`]).toBe("1");
      expect(
        await store.patch(key, { set: { again: "1" }, unset: [], maxBytes: 65536 }, Date.now()),
      ).toBe("ok");
    } finally {
      await close();
    }
  });
}
