import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { record, storeConformance, testKey } from "cloakroom-sessions/testing";
import { afterAll, describe, expect, it } from "vitest";
import { createStore } from "../../../src/stores/create-store.js";
import { createSqliteStore } from "../../../src/stores/sqlite/index.js";

const dir = mkdtempSync(join(tmpdir(), "cloakroom-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, "sessions.db");
storeConformance("sqlite", { open: () => createSqliteStore({ path: file }) });

describe("sqlite store", () => {
  it("opens the file in WAL mode with a busy timeout", async () => {
    const path = join(dir, "wal.db");
    const store = await createSqliteStore({ path });
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type IN ('table','index') ORDER BY name")
        .all()
        .map((r) => (r as { name: string }).name);
      expect(tables).toEqual(
        expect.arrayContaining([
          "cloakroom_migrations",
          "cloakroom_sessions",
          "cloakroom_sessions_user_id_idx",
          "cloakroom_sessions_idle_expires_at_idx",
        ]),
      );
    } finally {
      db.close();
      await store.close();
    }
  });

  it("keeps all keys when two connections to one file interleave 50 patches", async () => {
    const path = join(dir, "two.db");
    const a = await createSqliteStore({ path });
    const b = await createSqliteStore({ path });
    try {
      const key = testKey();
      await a.create(key, record({ data: {} }));
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 ? a : b).patch(
            key,
            { set: { [`k${i}`]: String(i) }, unset: [], maxBytes: 65536 },
            Date.now(),
          ),
        ),
      );
      expect(results.every((r) => r === "ok")).toBe(true);
      expect(Object.keys((await a.get(key, Date.now()))!.data)).toHaveLength(50);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("uses the user's own handle as is and leaves it open on close()", async () => {
    const db = new Database(":memory:");
    const store = await createSqliteStore({ database: db });
    expect(store.capabilities.shared).toBe(false);
    const key = testKey();
    await store.create(key, record());
    await store.close();
    expect(db.open).toBe(true);
    expect(db.prepare("SELECT count(*) AS n FROM cloakroom_sessions").get()).toEqual({ n: 1 });
    db.close();
  });

  it("opens from a sqlite: URL, creating the directory and honouring ?table=", async () => {
    const store = await createStore(
      `sqlite:${join(dir, "nested", "deeper", "s.db")}?table=web_sessions`,
    );
    try {
      expect(store.kind).toBe("sqlite");
      const key = testKey();
      await store.create(key, record());
      expect(await store.get(key, Date.now())).not.toBeNull();
      const db = new Database(join(dir, "nested", "deeper", "s.db"), { readonly: true });
      expect(db.prepare("SELECT count(*) AS n FROM web_sessions").get()).toEqual({ n: 1 });
      db.close();
    } finally {
      await store.close?.();
    }
  });
});
