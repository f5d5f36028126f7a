/**
 * Several processes on one SQLite file: WAL plus busy_timeout make writers
 * queue instead of failing with SQLITE_BUSY, migrations started at the same
 * moment apply once (BEGIN IMMEDIATE), and concurrent patches from every
 * process to one session all survive. Real child processes, real file.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { record, testKey } from "cloakroom-sessions/testing";
import { afterAll, describe, expect, it } from "vitest";
import { createSqliteStore } from "../../../src/stores/sqlite/index.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "cloakroom-sqlite-procs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const storeModule = new URL("../../../src/stores/sqlite/index.ts", import.meta.url).href;

/** A child process: opens the store (migrating), waits for `key`, patches it `n` times. */
const child = (file: string, key: string, id: number, n: number) => `
const { createSqliteStore } = await import(${JSON.stringify(storeModule)});
const store = await createSqliteStore({ path: ${JSON.stringify(file)}, migrate: false });
const migrated = await store.migrate();
let session = null;
for (let i = 0; i < 500 && !session; i++) {
  session = await store.get(${JSON.stringify(key)}, Date.now());
  if (!session) await new Promise((r) => setTimeout(r, 10));
}
const results = [];
for (let i = 0; i < ${n}; i++) {
  results.push(await store.patch(${JSON.stringify(key)}, { set: { ["p${id}_" + i]: String(i) }, unset: [], maxBytes: 65536 }, Date.now()));
}
await store.close();
console.log(JSON.stringify({ status: migrated[0].status, results }));
`;

describe("sqlite store across processes", () => {
  it("three processes migrate at once and interleave 3 x 30 patches on one session", async () => {
    const file = join(dir, "shared.db");
    const key = testKey();
    const procs = [1, 2, 3].map((id) =>
      run(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", child(file, key, id, 30)],
        {
          timeout: 60_000,
        },
      ),
    );
    // The parent creates the session once some child has created the table.
    let store: Awaited<ReturnType<typeof createSqliteStore>> | undefined;
    for (let i = 0; i < 500 && !store; i++) {
      const s = await createSqliteStore({ path: file, migrate: false });
      try {
        await s.create(key, record({ data: {} }));
        store = s;
      } catch {
        // No table yet: a child is still migrating. Retry shortly.
        await s.close();
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    expect(store).toBeDefined();
    const outputs = (await Promise.all(procs)).map((p) => JSON.parse(p.stdout.trim()));
    try {
      expect(outputs.map((o) => o.status).filter((s) => s === "applied")).toHaveLength(1);
      for (const o of outputs) expect(o.results.every((r: string) => r === "ok")).toBe(true);
      const data = (await store!.get(key, Date.now()))!.data;
      expect(Object.keys(data)).toHaveLength(90);
    } finally {
      await store!.close();
    }
  }, 90_000);
});
