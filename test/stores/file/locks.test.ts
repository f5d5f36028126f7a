/**
 * The file store's cross-process lock: a lock held by a live process makes
 * others wait, then fail closed (StoreUnavailableError, nothing written); a
 * lock or temp file left by a crashed process does not wedge the session and
 * is swept by purgeExpired.
 */
import { mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { record, testKey } from "cloakroom-sessions/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../../src/core/errors.js";
import { FileStore } from "../../../src/stores/file/index.js";

describe("file store locks", () => {
  let dir: string;
  let store: FileStore;
  const sessions = () => join(dir, "sessions");
  /** The lock file another process would hold for `key`. */
  const lockOf = async (key: string) => {
    const [file] = (await readdir(sessions())).filter((n) => n.endsWith(".json"));
    expect(Buffer.from(file!.slice(0, -5), "hex").toString("latin1")).toBe(key);
    return join(sessions(), `.${file!.slice(0, -5)}.lock`);
  };
  const patch = { set: { a: "1" }, unset: [], maxBytes: 65536 };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cloakroom-locks-"));
  });
  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("waits for a live lock, then fails closed and leaves the session as it was", async () => {
    store = new FileStore({ dir, fsync: false, sweepInterval: 0, lockTimeout: 150 });
    const key = testKey();
    await store.create(key, record());
    const lock = await lockOf(key);
    await writeFile(lock, ""); // another process holds it, and keeps holding it
    const t0 = Date.now();
    await expect(store.patch(key, patch, Date.now())).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect((await store.get(key, Date.now()))?.data.a).toBeUndefined();
    await rm(lock); // the holder finishes
    expect(await store.patch(key, patch, Date.now())).toBe("ok");
    await rm(join(dir, "sessions"), { recursive: true });
  });

  it("recreates its directory when it was removed under it", async () => {
    await rm(sessions(), { recursive: true, force: true });
    const key = testKey();
    await store.create(key, record());
    expect(await store.get(key, Date.now())).not.toBeNull();
    await rm(sessions(), { recursive: true });
  });

  it("breaks a lock left by a crash and sweeps crash leftovers", async () => {
    const key = testKey();
    await store.create(key, record());
    const lock = await lockOf(key);
    const tmp = join(sessions(), `.${lock.split("/").pop()!.slice(1, -5)}.json.deadbeef.tmp`);
    await writeFile(lock, "");
    await writeFile(tmp, '{"v":1,"da');
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    await utimes(tmp, old, old);
    expect(await store.patch(key, patch, Date.now())).toBe("ok"); // stale lock broken
    expect(await store.purgeExpired(Date.now())).toBe(0); // nothing expired...
    expect((await readdir(sessions())).filter((n) => n.startsWith("."))).toEqual([]); // ...leftovers gone
    expect((await store.get(key, Date.now()))?.data.a).toBe("1");
  });
});
