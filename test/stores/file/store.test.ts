import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { record, storeConformance, testKey } from "cloakroom-sessions/testing";
import { afterAll, describe, expect, it } from "vitest";
import { BadStoreUrlError } from "../../../src/core/errors.js";
import { createStore } from "../../../src/stores/create-store.js";
import { FileStore } from "../../../src/stores/file/index.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cloakroom-file-"));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Each suite gets its own directory; both instances of the "two app servers" test share it. */
function onOneDir(fsync: boolean) {
  let dir: Promise<string> | undefined;
  return async () => {
    dir ??= tempDir();
    return new FileStore({ dir: await dir, fsync, sweepInterval: 0 });
  };
}
storeConformance("file", { open: onOneDir(true) });
storeConformance("file (no fsync)", { open: onOneDir(false) });

describe("file store: corrupt records (REL-48)", () => {
  it("a truncated, null or foreign record is no session, and is removed", async () => {
    const dir = await tempDir();
    const store = new FileStore({ dir, fsync: false, sweepInterval: 0 });
    for (const junk of [
      '{"v":1,"data":{"a":"1"',
      "null",
      "42",
      '{"v":2}',
      '{"v":1,"data":{"a":1}}',
    ]) {
      const key = testKey();
      await store.create(key, record());
      const [file] = (await readdir(join(dir, "sessions"))).filter((n) => n.endsWith(".json"));
      await writeFile(join(dir, "sessions", file!), junk);
      expect(await store.get(key, Date.now())).toBeNull();
      expect(await readdir(join(dir, "sessions"))).toEqual([]);
    }
    await store.close();
  });
});

describe("file store from a URL", () => {
  it("opens file:<dir> and writes inside it", async () => {
    const dir = await tempDir();
    const store = await createStore(`file:${dir}/s?fsync=false`);
    const key = testKey();
    await store.create(key, record());
    expect(await store.get(key, Date.now())).not.toBeNull();
    expect(await readdir(join(dir, "s", "sessions"))).toHaveLength(1);
    await store.close?.();
  });

  it("refuses a URL without a directory or with a bad option", async () => {
    await expect(createStore("file:")).rejects.toBeInstanceOf(BadStoreUrlError);
    await expect(createStore("file:./x?fsync=maybe")).rejects.toBeInstanceOf(BadStoreUrlError);
  });
});
