/**
 * The filesystem primitives of the file store: atomic replace, tolerant
 * reads and a per-file lock that also works across processes.
 */
import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { StoreUnavailableError } from "../../core/errors.js";

/** Node's error code, e.g. `ENOENT`. */
export function errno(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

/** The file's text, or null when it does not exist. */
export async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if (errno(err) === "ENOENT") return null;
    throw err;
  }
}

/** Removes a file; true when it existed. */
export async function unlinkIfExists(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (err) {
    if (errno(err) === "ENOENT") return false;
    throw err;
  }
}

/**
 * Replaces `path` with `text` so that a reader sees the old file or the new
 * one, never a torn one: write a temp file in the same directory (rename is
 * atomic only within one filesystem), fsync it, rename it over the target,
 * then fsync the directory so the rename itself survives a power cut
 * (session-file-store moved to write-file-atomic for torn files, b40ca6e).
 */
export async function writeAtomic(path: string, text: string, fsync: boolean): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(text, "utf8");
    if (fsync) await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  if (fsync) {
    const d = await open(dir, "r");
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }
}

export interface LockOptions {
  /** Give up (StoreUnavailableError) after waiting this long, ms. */
  timeout: number;
  /** A lock file older than this is left over from a crash and is broken, ms. */
  stale: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` holding `lockPath`, a file created with O_EXCL: exclusive across
 * processes on one machine (on a local filesystem; not NFS). A holder that
 * crashed leaves its lock behind; it is broken once older than `stale`, which
 * is far above the milliseconds a store operation holds it.
 */
export async function withFileLock<T>(
  lockPath: string,
  options: LockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + options.timeout;
  for (let attempt = 0; ; attempt++) {
    try {
      await (await open(lockPath, "wx", 0o600)).close();
      break;
    } catch (err) {
      if (errno(err) !== "EEXIST") throw err;
    }
    const age = await stat(lockPath).then(
      (s) => Date.now() - s.mtimeMs,
      (err: unknown) => {
        if (errno(err) === "ENOENT") return -1; // released meanwhile: retry at once
        throw err;
      },
    );
    if (age > options.stale) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (age < 0) continue;
    if (Date.now() >= deadline) {
      throw new StoreUnavailableError(
        `file store: ${basename(lockPath)} still locked after ${options.timeout} ms`,
      );
    }
    // Jittered backoff, capped low: holders keep the lock for a read and a write.
    await sleep(Math.random() * Math.min(2 ** attempt, 16));
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}
