/**
 * Atomic replace: while writers rewrite a session with large values, readers
 * of the raw file and of the store never see a torn or half-written record
 * (session-file-store b40ca6e), and no temp or lock file is left behind.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { record, testKey } from "cloakroom-sessions/testing";
import { afterAll, describe, expect, it } from "vitest";
import { FileStore } from "../../../src/stores/file/index.js";

describe("file store: atomic writes", () => {
  let base: string | undefined;
  afterAll(async () => {
    if (base) await rm(base, { recursive: true, force: true });
  });

  it("readers never see invalid JSON while 4 writers rewrite a 60 KB session 200 times", async () => {
    base = await mkdtemp(join(tmpdir(), "cloakroom-atomic-"));
    const writer = new FileStore({ dir: base, fsync: false, sweepInterval: 0 });
    const reader = new FileStore({ dir: base, fsync: false, sweepInterval: 0 });
    const key = testKey();
    await writer.create(key, record({ data: {} }));
    const [file] = (await readdir(join(base, "sessions"))).filter((n) => n.endsWith(".json"));
    const path = join(base, "sessions", file!);

    let writing = true;
    let rawReads = 0;
    let storeReads = 0;
    const readers = [
      (async () => {
        while (writing) {
          const text = await readFile(path, "utf8");
          expect(() => JSON.parse(text)).not.toThrow();
          rawReads++;
        }
      })(),
      (async () => {
        while (writing) {
          expect(await reader.get(key, Date.now())).not.toBeNull();
          storeReads++;
        }
      })(),
    ];
    const writers = Array.from({ length: 4 }, (_, w) =>
      (async () => {
        for (let i = 0; i < 50; i++) {
          const big = JSON.stringify(String(i % 10).repeat(15_000));
          const r = await writer.patch(
            key,
            { set: { [`w${w}`]: big }, unset: [], maxBytes: 1 << 20 },
            Date.now(),
          );
          expect(r).toBe("ok");
        }
      })(),
    );
    await Promise.all(writers);
    writing = false;
    await Promise.all(readers);

    expect(rawReads).toBeGreaterThan(10);
    expect(storeReads).toBeGreaterThan(10);
    const final = await reader.get(key, Date.now());
    expect(Object.keys(final!.data).sort()).toEqual(["w0", "w1", "w2", "w3"]);
    const left = (await readdir(join(base, "sessions"))).filter((n) => n.startsWith("."));
    expect(left).toEqual([]);
    await writer.close();
    await reader.close();
  });
});
