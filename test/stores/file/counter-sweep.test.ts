/**
 * The file store's sweep removes ended throttle counters too (issue 10
 * leftover): before, every counter file ever written (one per username and
 * address that failed a login) stayed on disk for good.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { FileStore } from "../../../src/stores/file/index.js";

const dir = mkdtempSync(join(tmpdir(), "cloakroom-counter-sweep-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const counterFiles = () =>
  readdirSync(join(dir, "counters")).filter((n) => n.endsWith(".json")).length;

it("purgeExpired removes counters whose window ended and keeps the running ones", async () => {
  const store = new FileStore({ dir, sweepInterval: 0, fsync: false });
  try {
    const now = Date.now();
    for (let i = 0; i < 5; i++) await store.increment(`login:ended:${i}`, 1, 1000, now);
    await store.increment("login:running", 2, 3_600_000, now);
    expect(counterFiles()).toBe(6);
    // Counters are not sessions: the purge's count is of sessions only.
    expect(await store.purgeExpired(now + 2000)).toBe(0);
    expect(counterFiles()).toBe(1);
    expect(await store.increment("login:running", 0, 3_600_000, now + 2000)).toBe(2);
    expect(await store.increment("login:ended:0", 1, 1000, now + 2000)).toBe(1);
  } finally {
    await store.close();
  }
});
