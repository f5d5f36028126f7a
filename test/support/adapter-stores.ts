/**
 * The stores Cloakroom's own adapter tests run the adapter conformance suite
 * on (memory, SQLite, and the shared Redis when it answers), and the skip
 * rule of this repository: a missing Redis fails under
 * CLOAKROOM_REQUIRE_SERVICES=1.
 */
import { join } from "node:path";
import { it } from "vitest";
import type { SessionStore } from "../../src/core/store.js";
import { createStore } from "../../src/stores/create-store.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import type { AdapterConformanceOptions, AdapterStore } from "../../src/testing/adapter-suite.js";
import { describeWithService, probe, SERVICE_URLS } from "./services.js";

const STORES: AdapterStore[] = [
  { name: "memory", open: async () => new MemoryStore({ sweepInterval: 0 }) },
  { name: "sqlite", open: (dir) => createStore(`sqlite:${join(dir, "sessions.db")}`) },
  {
    name: "redis",
    open: async () => {
      const keyPrefix = `cr:adapter:${process.pid}:${Date.now()}:`;
      let store: SessionStore | undefined;
      const unavailable = await probe("redis", async () => {
        store = await createStore(SERVICE_URLS.redis, { keyPrefix });
        await store.get("probe", Date.now());
      });
      if (unavailable === null && store) return store;
      await store?.close?.().catch((err) => console.warn("closing the probe store failed", err));
      return { skip: unavailable ?? "no store", service: "Redis" };
    },
  },
];

export const ADAPTER_STORES: AdapterConformanceOptions = {
  stores: STORES,
  onSkip: (title, skipped) =>
    describeWithService(skipped.service ?? "a store", skipped.skip, title, () => {
      it("needs the service", () => {});
    }),
};
