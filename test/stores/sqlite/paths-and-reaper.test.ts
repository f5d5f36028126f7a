/**
 * The SQLite store as a newcomer meets it (issue 14): `sqlite://./x.db` is
 * relative (it once created `/x.db` at the root), open failures name the
 * path, the CLI's read commands never create a database, and expired rows
 * go away by themselves (the reaper starts with the store; `reaper: false`
 * turns it off).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { record, testKey } from "cloakroom-sessions/testing";
import { afterAll, describe, expect, it } from "vitest";
import { bufferOutput } from "../../../src/cli/output.js";
import { run } from "../../../src/cli/run.js";
import { BadStoreUrlError, ConfigurationError } from "../../../src/core/errors.js";
import { createStore } from "../../../src/stores/create-store.js";
import { createSqliteStore } from "../../../src/stores/sqlite/index.js";
import { sqlitePath } from "../../../src/stores/sqlite/url.js";

const dir = mkdtempSync(join(tmpdir(), "cloakroom-sqlite-fh-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sqlite: URL paths", () => {
  it("reads the // forms as meant", () => {
    expect(sqlitePath("./data/x.db")).toBe("./data/x.db");
    expect(sqlitePath("//./data/x.db")).toBe("./data/x.db");
    expect(sqlitePath("//../x.db")).toBe("../x.db");
    expect(sqlitePath("///var/lib/x.db")).toBe("/var/lib/x.db");
    expect(sqlitePath("/var/lib/x.db")).toBe("/var/lib/x.db");
    expect(() => sqlitePath("//data/x.db")).toThrow(BadStoreUrlError);
    expect(() => sqlitePath("//data/x.db")).toThrow(/sqlite:\.\/relative/);
  });

  it("sqlite://./… creates the file under the working directory, not at the root", async () => {
    const rel = relative(process.cwd(), join(dir, "rel", "s.db"));
    const store = await createStore(`sqlite://./${rel}?migrate=1`);
    await store.close?.();
    expect(existsSync(join(dir, "rel", "s.db"))).toBe(true);
  });

  it("an open failure names the path", async () => {
    const err = await createStore("sqlite:/dev/null/x/sessions.db").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(/SQLite database at \/dev\/null\/x\/sessions\.db/);
    expect((err as Error).cause).toBeDefined();
  });
});

describe("CLI read commands on a missing file", () => {
  it("stats, sessions, revoke and cleanup refuse it and create nothing", async () => {
    const missing = join(dir, "nope", "x.db");
    for (const argv of [
      ["stats", `sqlite:${missing}`],
      ["sessions", `sqlite:${missing}`, "--user", "1"],
      ["revoke", `sqlite:${missing}`, "--user", "1", "--dry-run"],
      ["cleanup", `sqlite:${missing}`],
    ]) {
      const out = bufferOutput();
      expect(await run(argv, out), argv[0]).toBe(2);
      expect(out.errors[0]).toContain(`no SQLite database at ${missing}`);
    }
    expect(existsSync(join(dir, "nope"))).toBe(false);
    const out = bufferOutput();
    expect(await run(["migrate", `sqlite:${missing}`], out)).toBe(0); // migrate may create it
    expect(existsSync(missing)).toBe(true);
  });
});

describe("the reaper starts with the store", () => {
  it("purges expired rows by itself, and reaper: false leaves them", async () => {
    const now = Date.now();
    const expired = () => record({ idleExpiresAt: now - 1000, absoluteExpiresAt: now + 60_000 });
    const on = await createSqliteStore({ path: join(dir, "reap.db"), reaper: { interval: 50 } });
    const off = await createSqliteStore({ path: join(dir, "keep.db"), reaper: false });
    try {
      for (const s of [on, off]) for (let i = 0; i < 5; i++) await s.create(testKey(), expired());
      await new Promise((r) => setTimeout(r, 400));
      expect((await on.stats!(Date.now())).expired).toBe(0);
      expect((await off.stats!(Date.now())).expired).toBe(5);
    } finally {
      await on.close();
      await off.close();
    }
  });
});
