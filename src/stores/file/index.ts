/**
 * The file store: one JSON file per session under a directory, for a single
 * server without a database. Every write replaces the file atomically
 * (temp file, fsync, rename), so a reader never sees a torn record.
 *
 * Layout under `dir`:
 * - `sessions/<hex of key>.json`: the record, mode 0600.
 * - `users/<sha256(userId)>/<hex of key>`: an empty marker per session of a
 *   user, the per-user index. Written before the session, so revoking a user
 *   always finds every session; markers of dead sessions are pruned lazily.
 *
 * File names are the hex of the key's ASCII, not the key itself: keys are
 * case-sensitive base64url and macOS/Windows filesystems are not (REL-47).
 * Keys are checked against the strict key pattern before any filesystem call
 * (REL-46, GO-2024-2730), and the resulting path is checked to stay inside the
 * directory.
 *
 * Read-modify-write operations on a key run one at a time: in one process
 * through an in-memory queue, across processes of the same machine through an
 * O_EXCL lock file. That lock is this store's `update` for the whole-record
 * rules it shares with Memcached (`WholeRecordStore`: patch, consumeField,
 * rotate). Not for NFS or several servers: use SQL or Redis there.
 */
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { ConfigurationError, SessionStateError } from "../../core/errors.js";
import type { Logger } from "../../core/options.js";
import {
  guardStore,
  isAlive,
  isStoreKey,
  type PurgeOptions,
  type SessionStore,
  type SessionSummary,
  type StoredSession,
} from "../../core/store.js";
import * as rec from "../record-json.js";
import { KeyedQueue } from "../shared/keyed-queue.js";
import { StoreLog } from "../shared/store-log.js";
import { type RecordChange, WholeRecordStore } from "../shared/whole-record.js";
import { errno, readOrNull, unlinkIfExists, withFileLock, writeAtomic } from "./fs-ops.js";
import { FileLayout } from "./layout.js";
import { addMarker, markedKeys } from "./markers.js";
import type { FileStoreOptions } from "./options.js";
import { scanInBatches, sweepLeftover } from "./purge.js";

export type { FileStoreOptions };

/** Shared by every FileStore of the process, keyed by absolute path: two instances on one directory still queue. */
const queue = new KeyedQueue();

export class FileStore extends WholeRecordStore implements SessionStore {
  readonly kind = "file";
  readonly capabilities = { shared: true } as const;
  readonly #paths: FileLayout;
  readonly #log = new StoreLog();
  readonly #fsync: boolean;
  readonly #lock: { timeout: number; stale: number };
  #ready: Promise<void> | undefined;
  #counters: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: FileStoreOptions) {
    super();
    if (typeof options?.dir !== "string" || options.dir === "") {
      throw new ConfigurationError("file store: `dir` must name a directory");
    }
    this.#paths = new FileLayout(resolve(options.dir));
    this.#fsync = options.fsync ?? true;
    this.#lock = { timeout: options.lockTimeout ?? 2000, stale: options.staleAfter ?? 10_000 };
    const every = options.sweepInterval ?? 600_000;
    const now = options.now ?? Date.now;
    if (every > 0) {
      this.#timer = setInterval(() => {
        this.purgeExpired(now()).catch((err: unknown) =>
          this.#log.warn("cloakroom: file store sweep failed", { err }),
        );
      }, every);
      this.#timer.unref();
    }
  }

  /** The absolute directory this store writes to. */
  get dir(): string {
    return this.#paths.root;
  }

  async get(key: string, now: number): Promise<StoredSession | null> {
    if (!isStoreKey(key)) return null;
    return this.#guard("get", async () => {
      const text = await readOrNull(this.#paths.session(key));
      if (text === null) return null;
      const r = rec.decodeRecord(text);
      if (r && isAlive(r, now)) return r;
      // Corrupt (REL-48) or expired (REL-23): remove it, re-checked under the lock.
      await this.#removeIfDead(key, now);
      return null;
    });
  }

  async create(key: string, session: StoredSession): Promise<void> {
    if (!isStoreKey(key)) throw new SessionStateError("file store: not a store key");
    await this.#guard("create", () =>
      this.#exclusive(key, async () => {
        if (session.userId !== null) await addMarker(this.#paths, session.userId, key);
        await writeAtomic(this.#paths.session(key), rec.encodeRecord(session), this.#fsync);
      }),
    );
  }

  async destroy(key: string): Promise<void> {
    if (!isStoreKey(key)) return;
    await this.#guard("destroy", () => this.#exclusive(key, () => this.#remove(key)));
  }

  async listByUser(userId: string, now: number): Promise<SessionSummary[]> {
    return this.#guard("listByUser", async () => {
      const keys = await markedKeys(this.#paths, userId);
      const found = await Promise.all(
        keys.map(async (key) => {
          const r = await this.#load(key);
          if (r && r.userId === userId && isAlive(r, now)) return rec.summaryOf(key, userId, r);
          await this.#pruneMarker(userId, key, now);
          return null;
        }),
      );
      return found.filter((s): s is SessionSummary => s !== null);
    });
  }

  async destroyByUser(userId: string, exceptKey?: string): Promise<number> {
    return this.#guard("destroyByUser", async () => {
      let n = 0;
      for (const key of await markedKeys(this.#paths, userId)) {
        if (key === exceptKey) continue;
        await this.#exclusive(key, async () => {
          const r = await this.#load(key);
          if (r && r.userId === userId && (await unlinkIfExists(this.#paths.session(key)))) n++;
          if (!r || r.userId === userId) await unlinkIfExists(this.#paths.marker(userId, key));
        });
      }
      return n;
    });
  }

  async increment(name: string, by: number, ttlMs: number, now: number): Promise<number> {
    return this.#guard("increment", () =>
      this.#counterExclusive(name, async () => {
        const path = this.#paths.counter(name);
        const text = await readOrNull(path);
        let c: { value: number; expiresAt: number } | null = null;
        try {
          c = text === null ? null : (JSON.parse(text) as { value: number; expiresAt: number });
        } catch {
          c = null; // a torn or foreign file counts as no counter
        }
        const next =
          c !== null && typeof c.value === "number" && c.expiresAt > now
            ? { value: c.value + by, expiresAt: c.expiresAt }
            : { value: by, expiresAt: now + ttlMs };
        // No fsync: a counter lost in a power cut only forgets some failed logins.
        await writeAtomic(path, JSON.stringify(next), false);
        return next.value;
      }),
    );
  }

  async resetCounter(name: string): Promise<void> {
    await this.#guard("resetCounter", () =>
      this.#counterExclusive(name, () => unlinkIfExists(this.#paths.counter(name))),
    );
  }

  async purgeExpired(now: number, options: PurgeOptions = {}): Promise<number> {
    return this.#guard("purgeExpired", async () => {
      const removed = await scanInBatches(this.#paths.sessionsDir, options, async (name) => {
        const key = this.#paths.keyOfFile(name);
        if (key !== null) return this.#removeIfDead(key, now);
        await sweepLeftover(this.#paths.sessionsDir, name, this.#lock.stale);
        return false;
      });
      // Ended throttle windows too (not sessions, so not counted): otherwise
      // every counter ever incremented stays on disk.
      await scanInBatches(this.#paths.countersDir, {}, async (name) => {
        const file = this.#paths.counterFile(name);
        if (file === null) {
          await sweepLeftover(this.#paths.countersDir, name, this.#lock.stale);
          return false;
        }
        return queue.run(file.path, () =>
          withFileLock(file.lock, this.#lock, async () => {
            const text = await readOrNull(file.path);
            if (text === null) return false;
            let expiresAt = Number.NEGATIVE_INFINITY; // a torn or foreign file counts as ended
            try {
              expiresAt = Number((JSON.parse(text) as { expiresAt?: unknown }).expiresAt);
            } catch {}
            if (expiresAt > now) return false;
            return unlinkIfExists(file.path);
          }),
        );
      });
      return removed;
    });
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Failed background sweeps are reported through the manager's logger. */
  useLogger(logger: Logger): void {
    this.#log.use(logger);
  }

  /** Under the key's lock: read, decide, write or remove (the marker goes with `unindex`). */
  protected update<T>(
    key: string,
    decide: (r: StoredSession | null) => RecordChange<T>,
    op: string,
  ): Promise<T> {
    return this.#guard(op, () =>
      this.#exclusive(key, async () => {
        const change = decide(await this.#load(key));
        if (change.write) await this.#write(key, change.write);
        else if (change.remove) await unlinkIfExists(this.#paths.session(key));
        return change.result;
      }),
    );
  }

  protected async unindex(userId: string, key: string): Promise<void> {
    await this.#guard("unindex", () => unlinkIfExists(this.#paths.marker(userId, key)));
  }

  /** Runs `fn` as the only read-modify-write on `key`, in this process and across processes. */
  async #exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    await this.#dirs();
    const path = this.#paths.session(key);
    const locked = () => withFileLock(this.#paths.lock(key), this.#lock, fn);
    return queue.run(path, async () => {
      try {
        return await locked();
      } catch (err) {
        if (errno(err) !== "ENOENT") throw err;
        // The directory was removed under us (a tmp cleaner, an operator): make it again, once.
        this.#ready = undefined;
        await this.#dirs();
        return locked();
      }
    });
  }

  async #counterExclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.#counters ??= mkdir(this.#paths.countersDir, { recursive: true, mode: 0o700 }).then(
      () => undefined,
      (err: unknown) => {
        this.#counters = undefined;
        throw err;
      },
    );
    await this.#counters;
    const path = this.#paths.counter(name);
    return queue.run(path, () => withFileLock(this.#paths.counterLock(name), this.#lock, fn));
  }

  /** The record on disk, or null when absent or corrupt. */
  async #load(key: string): Promise<StoredSession | null> {
    const text = await readOrNull(this.#paths.session(key));
    return text === null ? null : rec.decodeRecord(text);
  }

  async #write(key: string, r: StoredSession): Promise<void> {
    await writeAtomic(this.#paths.session(key), rec.encodeRecord(r), this.#fsync);
  }

  /** Removes the session and its marker if, under the lock, it is still dead or corrupt. */
  async #removeIfDead(key: string, now: number): Promise<boolean> {
    return this.#exclusive(key, async () => {
      const text = await readOrNull(this.#paths.session(key));
      if (text === null) return false;
      const r = rec.decodeRecord(text);
      if (r && isAlive(r, now)) return false;
      return this.#remove(key, r);
    });
  }

  /** Unlinks the session file and its user marker; true when the session file existed. */
  async #remove(key: string, known?: StoredSession | null): Promise<boolean> {
    const path = this.#paths.session(key);
    const r = known === undefined ? await this.#load(key) : known;
    const existed = await unlinkIfExists(path);
    if (r?.userId != null) await unlinkIfExists(this.#paths.marker(r.userId, key));
    return existed;
  }

  /** Drops a user's marker whose session is gone, re-checked under the session's lock. */
  async #pruneMarker(userId: string, key: string, now: number): Promise<void> {
    await this.#exclusive(key, async () => {
      const r = await this.#load(key);
      if (r && r.userId === userId && isAlive(r, now)) return; // created meanwhile
      if (r && r.userId === userId) await unlinkIfExists(this.#paths.session(key));
      await unlinkIfExists(this.#paths.marker(userId, key));
    });
  }

  /** Creates the directories once; a failure is retried by the next call (the disk may come back). */
  #dirs(): Promise<void> {
    this.#ready ??= Promise.all([
      mkdir(this.#paths.sessionsDir, { recursive: true, mode: 0o700 }),
      mkdir(this.#paths.usersDir, { recursive: true, mode: 0o700 }),
    ]).then(
      () => undefined,
      (err: unknown) => {
        this.#ready = undefined;
        throw err;
      },
    );
    return this.#ready;
  }

  /** Any filesystem failure becomes a StoreUnavailableError; never a raw errno escaping. */
  #guard<T>(op: string, fn: () => Promise<T>): Promise<T> {
    return guardStore(`file store: ${op} failed in ${this.#paths.root}`, fn);
  }
}

/**
 * One JSON file per session under `dir`; single server.
 * @example const store = createFileStore({ dir: "./data/sessions" });
 */
export function createFileStore(options: FileStoreOptions): FileStore {
  return new FileStore(options);
}
