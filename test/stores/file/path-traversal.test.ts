/**
 * REL-46: a malformed key never reaches the filesystem. Every method is fed
 * traversal and junk keys; the store directory stays empty of sessions and a
 * sentinel file next to it is untouched.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { record, touchOnly } from "cloakroom-sessions/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionStateError } from "../../../src/core/errors.js";
import { FileStore } from "../../../src/stores/file/index.js";

const pad = (s: string) => s.padEnd(43, "a").slice(0, 43);
const BAD_KEYS = [
  "../../x",
  pad("../../../../sentinel"),
  pad("..\\..\\sentinel"),
  pad("/etc/passwd"),
  pad("a/b"),
  pad("%2e%2e%2fsentinel"),
  "con",
  "nul",
  pad("a b"),
  pad("a\r\nflush_all\r\n"),
  pad("\u0000"),
  "x".repeat(300),
  `${pad("")}\n`,
  pad("ünïcode"),
  "",
];

describe("file store: malformed keys never touch the filesystem (REL-46)", () => {
  let base: string;
  let store: FileStore;
  const sentinel = () => join(base, "sentinel");

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "cloakroom-traversal-"));
    await writeFile(sentinel(), "untouched");
    store = new FileStore({ dir: join(base, "store", "deep"), sweepInterval: 0 });
  });
  afterAll(async () => {
    await store.close();
    await rm(base, { recursive: true, force: true });
  });

  it("every bad key is refused or reads as absent, and nothing is written anywhere", async () => {
    const now = Date.now();
    for (const key of BAD_KEYS) {
      await expect(store.create(key, record())).rejects.toBeInstanceOf(SessionStateError);
      expect(await store.get(key, now)).toBeNull();
      const patch = { set: { x: "1" }, unset: [], maxBytes: 65536 };
      expect(await store.patch(key, patch, now)).toBe("missing");
      expect(await store.patch(key, touchOnly(now, now + 60_000), now)).toBe("missing");
      await expect(store.destroy(key)).resolves.toBeUndefined();
    }
    expect(await readFile(sentinel(), "utf8")).toBe("untouched");
    // Not even the store's own directory was created: no call reached the disk.
    await expect(stat(join(base, "store"))).rejects.toMatchObject({ code: "ENOENT" });
    expect((await readdir(base)).sort()).toEqual(["sentinel"]);
  });

  it("a key differing only in letter case is a different session (REL-47)", async () => {
    const key = pad("CaseSensitiveKey");
    await store.create(key, record());
    expect(await store.get(key.toLowerCase(), Date.now())).toBeNull();
    expect(await store.get(key.toUpperCase(), Date.now())).toBeNull();
    expect(await store.get(key, Date.now())).not.toBeNull();
  });

  it("session files are private to the server's user (mode 0600)", async () => {
    const key = pad("ModeCheck");
    await store.create(key, record());
    const dir = join(base, "store", "deep", "sessions");
    const [name] = (await readdir(dir)).filter((n) => n.endsWith(".json") && n !== "");
    for (const n of await readdir(dir)) {
      if (!n.endsWith(".json")) continue;
      expect((await stat(join(dir, n))).mode & 0o777).toBe(0o600);
    }
    expect(name).toMatch(/^[0-9a-f]{86}\.json$/);
  });
});
