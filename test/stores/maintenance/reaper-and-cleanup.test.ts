/**
 * Store maintenance: the opt-in reaper (runs on its interval, never overlaps,
 * logs a failed run and keeps going) and `runCleanup`'s progress display (one
 * redrawn line on a terminal, plain lines elsewhere), on a SQLite store.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { record, testKey } from "cloakroom-sessions/testing";
import { afterAll, describe, expect, it, vi } from "vitest";
import { runCleanup } from "../../../src/stores/maintenance/cleanup.js";
import { startReaper } from "../../../src/stores/maintenance/reaper.js";
import type { SqlStore } from "../../../src/stores/sql/sql-store.js";
import { createSqliteStore } from "../../../src/stores/sqlite/index.js";

const dir = mkdtempSync(join(tmpdir(), "cloakroom-maintenance-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MIN = 60_000;

async function seed(store: SqlStore, expired: number, live: number, now: number) {
  const dead = record({ idleExpiresAt: now - MIN, absoluteExpiresAt: now + MIN });
  for (let i = 0; i < expired; i++) await store.create(testKey(), dead);
  for (let i = 0; i < live; i++) {
    await store.create(testKey(), record({ idleExpiresAt: now + 30 * MIN }));
  }
}

describe("reaper and cleanup display", () => {
  it("the reaper purges on its interval, never overlaps, and stop() waits for the run", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const store = await createSqliteStore({ path: join(dir, "reaper.db") });
    try {
      const now = Date.now();
      await seed(store, 30, 1, now);
      const logs: Record<string, unknown>[] = [];
      const logger = {
        debug: (_: string, m?: Record<string, unknown>) => logs.push(m ?? {}),
        warn: vi.fn(),
        error: vi.fn(),
      };
      const stop = startReaper(store, { interval: 60_000, batchSize: 7, logger, now: () => now });
      vi.advanceTimersByTime(59_999);
      expect(logs).toEqual([]);
      vi.advanceTimersByTime(1);
      await vi.waitFor(() => expect(logs).toHaveLength(1));
      expect(logs[0]?.removed).toBe(30);
      vi.advanceTimersByTime(60_000);
      await stop();
      vi.advanceTimersByTime(600_000);
      expect(logs).toHaveLength(2);
      expect(logs[1]?.removed).toBe(0);
      expect(logger.warn).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
      await store.close();
    }
  });

  it("the reaper logs a failed run and keeps going", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const store = await createSqliteStore({ path: join(dir, "reaper-fail.db") });
    await store.close(); // every purge now fails
    const warn = vi.fn();
    const stop = startReaper(store, {
      interval: 1000,
      logger: { debug: vi.fn(), warn, error: vi.fn() },
    });
    vi.advanceTimersByTime(1000);
    await vi.waitFor(() => expect(warn).toHaveBeenCalledTimes(1));
    vi.advanceTimersByTime(1000);
    await vi.waitFor(() => expect(warn).toHaveBeenCalledTimes(2));
    await stop();
    vi.useRealTimers();
  });

  it("cleanup redraws one progress line on a terminal and ends with a summary", async () => {
    const store = await createSqliteStore({ path: join(dir, "cleanup.db") });
    const now = Date.now();
    await seed(store, 25, 0, now);
    const tty = {
      isTTY: true,
      text: "",
      write(s: string) {
        this.text += s;
      },
    };
    const summary = await runCleanup(store, { now, batchSize: 10, out: tty });
    expect(summary.removed).toBe(25);
    expect(tty.text.split("\r\u001b[Kpurging expired sessions: ")).toHaveLength(4);
    expect(tty.text).toMatch(
      /sqlite: removed 25 expired sessions in [\d.]+ s \([\d,]+ rows\/s\)\n$/,
    );
    await seed(store, 5, 0, now);
    const log = {
      text: "",
      write(s: string) {
        this.text += s;
      },
    };
    await runCleanup(store, { now, out: log });
    expect(log.text).not.toContain("\r");
    expect(log.text).toMatch(/^sqlite: removed 5 expired sessions/);
    await store.close();
  });
});
