import { record, storeConformance, testKey } from "cloakroom-sessions/testing";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../../src/stores/memory/index.js";

storeConformance("memory", { open: async () => new MemoryStore({ sweepInterval: 0 }) });

describe("memory store bounds", () => {
  it("evicts the least recently used session past maxSessions", async () => {
    const store = new MemoryStore({ maxSessions: 3, sweepInterval: 0 });
    const [a, b, c, d] = [testKey(), testKey(), testKey(), testKey()];
    for (const k of [a, b, c]) await store.create(k, record());
    await store.get(a, Date.now()); // a is now the most recent; b the least
    await store.create(d, record());
    expect(store.size).toBe(3);
    expect(await store.get(b, Date.now())).toBeNull();
    expect(await store.get(a, Date.now())).not.toBeNull();
    await store.close();
  });
});
