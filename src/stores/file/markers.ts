/**
 * The file store's per-user index: `users/<sha256(userId)>/<hex of key>`,
 * one empty marker file per session of the user.
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { errno } from "./fs-ops.js";
import type { FileLayout } from "./layout.js";

/** Records that `key` belongs to `userId`. Done before the session is written, so revoke-all never misses it. */
export async function addMarker(paths: FileLayout, userId: string, key: string): Promise<void> {
  await mkdir(paths.userDir(userId), { recursive: true, mode: 0o700 });
  await writeFile(paths.marker(userId, key), "", { mode: 0o600 });
}

/** The keys marked for `userId`; some may point to sessions already gone (pruned by the caller). */
export async function markedKeys(paths: FileLayout, userId: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(paths.userDir(userId));
  } catch (err) {
    if (errno(err) === "ENOENT") return [];
    throw err;
  }
  return names.map((n) => paths.keyOfMarker(n)).filter((k): k is string => k !== null);
}
