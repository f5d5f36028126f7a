/**
 * The rules of a store that keeps each session as one whole value (a file, a
 * Memcached item, a key-value entry) and so has no field-level update of its
 * own: read the record, change it in memory, write it back only if nobody
 * wrote it meanwhile. `patch`, `consumeField` and `rotate` are written here
 * once; a backend supplies how it gets that exclusive read-modify-write (a
 * lock, a compare-and-swap, a conditional put) as {@link WholeRecordStore.update},
 * how it indexes a new session under its user ({@link WholeRecordStore.create})
 * and how it takes one key out of that index ({@link WholeRecordStore.unindex}).
 *
 * The file store (lock file) and the Memcached store (CAS) are built on it;
 * examples/stores/map-store.ts is a store for a `Map` in a page.
 */
import { SessionStateError } from "../../core/errors.js";
import { interleave } from "../../core/interleave.js";
import {
  isAlive,
  isStoreKey,
  type PatchResult,
  type RotateResult,
  type SessionPatch,
  type SessionStore,
  type SessionSummary,
  type StoredSession,
} from "../../core/store.js";
import * as rec from "../record-json.js";

/**
 * What {@link WholeRecordStore.update}'s decision does with the record it was
 * shown: `write` it (the next record), `remove` it, or neither; `result` is
 * what the update resolves to.
 */
export interface RecordChange<T> {
  result: T;
  write?: StoredSession;
  remove?: true;
}

/** Everything of {@link SessionStore} except what {@link WholeRecordStore} writes itself. */
type Supplied = Omit<SessionStore, "patch" | "consumeField" | "rotate">;

/**
 * A base for whole-record stores: extend it and implement `update`,
 * `unindex` and the methods of {@link SessionStore} it does not provide.
 *
 * @example
 * class KvStore extends WholeRecordStore {
 *   protected async update<T>(key, decide) {
 *     for (;;) {
 *       const { value, version } = await kv.get(key);
 *       const change = decide(value ? decodeMyRecord(value) : null);
 *       if (change.write ? await kv.putIf(key, encode(change.write), version)
 *         : change.remove ? await kv.deleteIf(key, version) : true) return change.result;
 *     }
 *   }
 *   // get, create, unindex, destroy, listByUser, destroyByUser …
 * }
 */
export abstract class WholeRecordStore implements Supplied {
  abstract readonly kind: string;
  abstract readonly capabilities: SessionStore["capabilities"];
  abstract get(key: string, now: number): Promise<StoredSession | null>;
  /** Must index the session under its user before the record is visible, as `SessionStore.create` says. */
  abstract create(key: string, session: StoredSession): Promise<void>;
  abstract destroy(key: string): Promise<void>;
  abstract listByUser(userId: string, now: number): Promise<SessionSummary[]>;
  abstract destroyByUser(userId: string, exceptKey?: string): Promise<number>;

  /**
   * Runs `decide` on the record now stored under `key` (null when absent or
   * unreadable) and applies its change only if nobody wrote or removed that
   * record in between; on a conflict, reads again and decides again (so
   * `decide` may run several times and must have no other effect). Resolves
   * to the `result` of the decision that was applied. `op` names the
   * operation for error messages.
   */
  protected abstract update<T>(
    key: string,
    decide: (r: StoredSession | null) => RecordChange<T>,
    op: string,
  ): Promise<T>;

  /** Takes `key` out of the user's index (absent is fine). */
  protected abstract unindex(userId: string, key: string): Promise<void>;

  async patch(key: string, patch: SessionPatch, now: number): Promise<PatchResult> {
    if (!isStoreKey(key)) return "missing";
    return this.update<PatchResult>(
      key,
      (r) => {
        // Never recreate a destroyed or expired session.
        if (!r || !isAlive(r, now)) return { result: "missing" };
        const { result, next } = rec.applyPatch(r, patch);
        return result === "ok" ? { result, write: next } : { result };
      },
      "patch",
    );
  }

  async consumeField(key: string, field: string, value: string, now: number): Promise<boolean> {
    if (!isStoreKey(key)) return false;
    // Exclusive: a racing consumer's write conflicts, it reads again, finds the field gone and refuses.
    return this.update(
      key,
      (r) => {
        const next = r && isAlive(r, now) ? rec.consumeField(r, field, value) : null;
        return next ? { result: true, write: next } : { result: false };
      },
      "consumeField",
    );
  }

  /**
   * Claim, then write: the old record is removed only while it is alive, in
   * one exclusive step, so of a revocation and a rotation of one session
   * only one wins, and of two rotations only one answers "ok". The new
   * session is then created (indexed first) and the old key unindexed. A
   * revoke-all that runs between the claim and the new record's indexing
   * cannot see the new key: that window is the bound docs/security.md
   * states for stores without multi-key atomicity (row 8).
   */
  async rotate(
    oldKey: string,
    newKey: string,
    session: StoredSession,
    now: number,
  ): Promise<RotateResult> {
    if (!isStoreKey(newKey)) throw new SessionStateError(`${this.kind} store: not a store key`);
    if (!isStoreKey(oldKey)) return "missing";
    const old = await this.update<StoredSession | null>(
      oldKey,
      (r) => (r && isAlive(r, now) ? { result: r, remove: true } : { result: null }),
      "rotate",
    );
    if (old === null) return "missing";
    await interleave(`${this.kind}.rotate:claimed`);
    await this.create(newKey, session);
    if (old.userId !== null) await this.unindex(old.userId, oldKey);
    return "ok";
  }
}
