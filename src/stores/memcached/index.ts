/**
 * The Memcached store. Memcached has no hashes and no sets, so each session
 * is one JSON value under `<prefix>s:<key>` and each user's index one JSON
 * value under `<prefix>u:<sha256(userId)>`.
 *
 * Field-level writes without lost updates use compare-and-swap: read the
 * value with its CAS, change it, write it back only if the CAS still matches;
 * on a conflict, read again (bounded retries with jittered backoff, then a
 * {@link StoreUnavailableError}). A patch never recreates a session:
 * a CAS write to a deleted key fails with "not found" and the result is
 * "missing" (REL-11). Within one process, writes to one key also queue, so
 * CAS conflicts only happen between processes. That CAS is this store's
 * `update` for the whole-record rules it shares with the file store
 * (`WholeRecordStore`: patch, consumeField, rotate).
 *
 * Records expire by themselves (exptime; no `purgeExpired`) and every
 * read checks the deadlines against `now` as well.
 *
 * Limits, as with any Memcached store: memory pressure evicts sessions (the
 * user is logged out, fail closed; give sessions their own instance or
 * enough `-m`), and with several servers a ring change can move a key to a
 * node holding a stale copy (REL-07): use one server, or a replicated pair
 * behind a proxy, when revocation must survive node flaps.
 */

import { createHash } from "node:crypto";
import { ConfigurationError, SessionStateError } from "../../core/errors.js";
import { interleave } from "../../core/interleave.js";
import {
  isAlive,
  isStoreKey,
  type SessionStore,
  type SessionSummary,
  type StoredSession,
} from "../../core/store.js";
import * as rec from "../record-json.js";
import { KeyedQueue } from "../shared/keyed-queue.js";
import { type RecordChange, WholeRecordStore } from "../shared/whole-record.js";
import { CasLoop } from "./cas-loop.js";
import { exptimeFor } from "./expiry.js";
import { MemcachedOps, type MemjsClientLike, STATUS } from "./protocol.js";
import * as idx from "./user-index.js";

export type { MemjsClientLike, RawResponse } from "./protocol.js";

export interface MemcachedStoreOptions {
  /** A memjs Client (or anything with its `perform`/`incrSeq`/`seq`). The store never closes a client it was given. */
  client: MemjsClientLike;
  /** Close the client on `close()`: true when the store created it from a URL. @default false */
  ownsClient?: boolean;
  /** Prepended to every key; letters, digits and `:_.-` only. @default "cloakroom:" */
  prefix?: string;
  /** The longest one Memcached round trip may take, ms. @default 1000 */
  timeout?: number;
  /** CAS attempts before a contended write gives up with StoreUnavailableError. @default 50 */
  maxCasAttempts?: number;
  /** Clock used only to turn deadlines into exptimes. @default Date.now */
  clock?: () => number;
}

const PREFIX = /^[A-Za-z0-9:_.-]{0,64}$/;

export class MemcachedStore extends WholeRecordStore implements SessionStore {
  readonly kind = "memcached";
  /** Records expire by themselves (exptime), so there is no `purgeExpired`. */
  readonly capabilities = { shared: true } as const;
  readonly #ops: MemcachedOps;
  readonly #client: MemjsClientLike;
  readonly #owns: boolean;
  readonly #prefix: string;
  readonly #clock: () => number;
  readonly #cas: CasLoop;
  readonly #queue = new KeyedQueue();

  constructor(options: MemcachedStoreOptions) {
    super();
    const prefix = options.prefix ?? "cloakroom:";
    // Memcached keys: at most 250 bytes, no whitespace or control characters (protocol.txt).
    if (!PREFIX.test(prefix))
      throw new ConfigurationError(`memcached store: bad key prefix ${prefix}`);
    this.#client = options.client;
    this.#owns = options.ownsClient ?? false;
    this.#prefix = prefix;
    this.#ops = new MemcachedOps(options.client, options.timeout ?? 1000);
    this.#clock = options.clock ?? Date.now;
    this.#cas = new CasLoop(this.#ops, options.maxCasAttempts ?? 50);
  }

  async get(key: string, now: number): Promise<StoredSession | null> {
    if (!isStoreKey(key)) return null;
    const got = await this.#ops.get(this.#sk(key));
    if (!got) return null;
    const r = rec.decodeRecord(got.value);
    if (!r) {
      await this.#ops.delete(this.#sk(key), got.cas); // corrupt (REL-48): gone, unless rewritten meanwhile
      return null;
    }
    return isAlive(r, now) ? r : null;
  }

  async create(key: string, session: StoredSession): Promise<void> {
    if (!isStoreKey(key)) throw new SessionStateError("memcached store: not a store key");
    // Index first: a written session is always reachable by revoke-all.
    if (session.userId !== null) {
      await this.#updateIndex(session.userId, (index) => {
        index.set(key, [session.absoluteExpiresAt, this.#clock()]);
        return true;
      });
      await interleave("memcached.create:indexed");
    }
    const exptime = this.#exptime(session);
    await this.#ops.store("set", this.#sk(key), rec.encodeRecord(session), exptime, null);
  }

  async destroy(key: string): Promise<void> {
    if (!isStoreKey(key)) return;
    // The user's index keeps the key until a listing or revoke-all prunes it.
    await this.#ops.delete(this.#sk(key));
  }

  async listByUser(userId: string, now: number): Promise<SessionSummary[]> {
    const got = await this.#ops.get(this.#uk(userId));
    const index = idx.decodeIndex(got?.value);
    const out: SessionSummary[] = [];
    const dead: string[] = [];
    const clock = this.#clock();
    await Promise.all(
      [...index].map(async ([key, [, addedAt]]) => {
        const r = await this.get(key, now);
        if (r && r.userId === userId) out.push(rec.summaryOf(key, userId, r));
        else if (!r && addedAt < clock - idx.PRUNE_GRACE) dead.push(key);
      }),
    );
    if (dead.length > 0 || [...index.values()].some(([abs]) => abs <= clock)) {
      await this.#updateIndex(userId, (i) => {
        const before = i.size;
        for (const k of dead) i.delete(k);
        idx.dropExpired(i, clock);
        return i.size !== before;
      });
    }
    return out;
  }

  async destroyByUser(userId: string, exceptKey?: string): Promise<number> {
    let removed = 0;
    // Delete each member's session, then unindex what was deleted. A session
    // indexed meanwhile fails the index CAS, and the retry deletes it too. An
    // entry whose session was not there stays (until the prune grace ends):
    // it may be a create between its index write and its session write, and
    // unindexing it would let that session live on outside every revocation.
    await this.#updateIndex(userId, async (index) => {
      const clock = this.#clock();
      await interleave("memcached.destroyByUser:listed");
      for (const [key, [, addedAt]] of [...index]) {
        if (key === exceptKey) continue;
        if ((await this.#ops.delete(this.#sk(key))) === STATUS.ok) {
          removed++;
          index.delete(key);
        } else if (addedAt < clock - idx.PRUNE_GRACE) index.delete(key);
      }
      return true;
    });
    return removed;
  }

  async increment(name: string, by: number, ttlMs: number): Promise<number> {
    // Memcached's own clock expires it: the window is measured from the store's clock.
    const clock = this.#clock();
    return this.#ops.increment(this.#ck(name), by, exptimeFor(clock + ttlMs, clock));
  }

  async resetCounter(name: string): Promise<void> {
    await this.#ops.delete(this.#ck(name));
  }

  async close(): Promise<void> {
    if (this.#owns) this.#client.close();
  }

  /** Compare-and-swap conflicts this instance retried (another writer came first). */
  get casConflicts(): number {
    return this.#cas.conflicts;
  }

  /** Server version: a real round trip, for readiness probes. */
  async ping(): Promise<string> {
    return this.#ops.version(this.#prefix);
  }

  /** Compare-and-swap on the session's value; `decide` runs again after a conflict. */
  protected update<T>(
    key: string,
    decide: (r: StoredSession | null) => RecordChange<T>,
  ): Promise<T> {
    return this.#queue.run(key, async () => {
      let result!: T;
      await this.#cas.update(this.#sk(key), (text) => {
        const change = decide(text === undefined ? null : rec.decodeRecord(text));
        result = change.result;
        if (change.write)
          return { value: rec.encodeRecord(change.write), exptime: this.#exptime(change.write) };
        return change.remove ? { delete: true } : null;
      });
      return result;
    });
  }

  protected async unindex(userId: string, key: string): Promise<void> {
    await this.#updateIndex(userId, (index) => index.delete(key));
  }

  /** CAS-updates a user's index; `change` mutates it and says whether to write. */
  async #updateIndex(
    userId: string,
    change: (index: idx.UserIndex) => boolean | Promise<boolean>,
  ): Promise<void> {
    await this.#cas.update(this.#uk(userId), async (text) => {
      const index = idx.decodeIndex(text);
      if (!(await change(index))) return null;
      idx.dropExpired(index, this.#clock());
      if (index.size === 0) return { delete: true };
      return {
        value: idx.encodeIndex(index),
        exptime: exptimeFor(idx.lastDeadline(index), this.#clock()),
      };
    });
  }

  #exptime(r: StoredSession): number {
    return exptimeFor(Math.min(r.idleExpiresAt, r.absoluteExpiresAt), this.#clock());
  }

  #ck(name: string): string {
    return `${this.#prefix}n:${name}`;
  }

  #sk(key: string): string {
    return `${this.#prefix}s:${key}`;
  }

  /** A hash: user ids may hold spaces or be long, Memcached keys may not (protocol.txt). */
  #uk(userId: string): string {
    return `${this.#prefix}u:${createHash("sha256").update(userId).digest("base64url")}`;
  }
}
