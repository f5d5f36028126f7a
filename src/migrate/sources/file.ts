/**
 * session-file-store's folder: one `<sid>.json` file per session, with a
 * `__lastAccess` field; expiry is `__lastAccess + ttl` unless the session's
 * cookie carries its own. URL: `file:./sessions?ttl=3600` (ttl in seconds,
 * session-file-store's default 3600).
 */
import { randomBytes } from "node:crypto";
import { readdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { RawRecord } from "../convert.js";
import type { LegacySource, ScanPage } from "./source.js";

const EXT = ".json";

function folderOf(url: string): { dir: string; ttlMs: number } {
  const q = url.indexOf("?");
  const params = new URLSearchParams(q >= 0 ? url.slice(q + 1) : "");
  const path = q >= 0 ? url.slice(0, q) : url;
  const dir = path.startsWith("file://") ? fileURLToPath(path) : path.slice("file:".length);
  const ttl = Number(params.get("ttl") ?? 3600);
  return { dir: resolve(dir), ttlMs: (Number.isFinite(ttl) && ttl > 0 ? ttl : 3600) * 1000 };
}

function rawOf(text: string, ttlMs: number): RawRecord {
  const m = /"__lastAccess"\s*:\s*(\d+)/.exec(text);
  return { text, expiresAt: m ? Number(m[1]) + ttlMs : null };
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === "ENOENT";
}

export function fileSource(url: string): LegacySource {
  const { dir, ttlMs } = folderOf(url);
  const pathOf = (sid: string) => join(dir, sid + EXT);
  return {
    kind: "file",
    async take(sid) {
      // rename is atomic: of two concurrent takers, one moves the file, the other gets ENOENT.
      const claimed = `${pathOf(sid)}.cloakroom-${randomBytes(6).toString("hex")}`;
      try {
        await rename(pathOf(sid), claimed);
      } catch (err) {
        if (isMissing(err)) return null;
        throw err;
      }
      const text = await readFile(claimed, "utf8");
      await unlink(claimed);
      return rawOf(text, ttlMs);
    },
    async restore(sid, raw) {
      await writeFile(pathOf(sid), raw.text, { flag: "wx" }).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException)?.code !== "EEXIST") throw err;
      });
    },
    async scan(cursor, count): Promise<ScanPage> {
      const names = (await readdir(dir)).filter((n) => n.endsWith(EXT)).sort();
      const start = cursor === null ? 0 : names.findIndex((n) => n > cursor);
      const page = start < 0 ? [] : names.slice(start, start + count);
      const items: ScanPage["items"] = [];
      for (const name of page) {
        let text: string;
        try {
          text = await readFile(join(dir, name), "utf8");
        } catch (err) {
          if (isMissing(err)) continue;
          throw err;
        }
        items.push({ sid: name.slice(0, -EXT.length), raw: rawOf(text, ttlMs) });
      }
      const last = page[page.length - 1];
      return { items, cursor: page.length < count || last === undefined ? null : last };
    },
    async close() {},
  };
}
