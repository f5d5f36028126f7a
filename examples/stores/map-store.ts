/**
 * A complete session store in one page: the worked example of
 * docs/writing-a-store.md, proved by the conformance kit in
 * test/examples/map-store.test.ts. It keeps whole records in a `Map`, the
 * way a store on a key-value service (DynamoDB, Cloudflare KV, NATS KV)
 * would keep one JSON value per session plus one index value per user.
 *
 * It extends `WholeRecordStore`, which writes `patch`, `consumeField` and
 * `rotate` once on top of one primitive, `update`: an exclusive
 * read-modify-write of one record. Here that is trivially true (nothing
 * awaits between the read and the write, which is atomic in one process); a
 * real backend makes it a conditional write (a DynamoDB condition
 * expression, a KV compare-and-swap) retried on conflict, as the built-in
 * Memcached store does, or a lock, as the file store does.
 */
import {
  isAlive,
  isStoreKey,
  type PurgeOptions,
  type RecordChange,
  type SessionSummary,
  type StoredSession,
  WholeRecordStore,
} from "cloakroom-sessions";

export class MapStore extends WholeRecordStore {
  readonly kind = "map";
  readonly capabilities = { shared: false } as const;
  readonly #sessions = new Map<string, StoredSession>();
  /** userId → keys: written before the session, so revoking a user finds every session. */
  readonly #users = new Map<string, Set<string>>();

  async get(key: string, now: number): Promise<StoredSession | null> {
    const r = isStoreKey(key) ? this.#sessions.get(key) : undefined;
    if (!r || !isAlive(r, now)) return null;
    return structuredClone(r); // never hand out the stored object
  }

  async create(key: string, session: StoredSession): Promise<void> {
    if (!isStoreKey(key)) throw new TypeError("not a store key");
    if (session.userId !== null) this.#index(session.userId).add(key);
    this.#sessions.set(key, structuredClone(session));
  }

  /** Read, decide, write: no `await` in between, so nothing else runs there. */
  protected async update<T>(
    key: string,
    decide: (r: StoredSession | null) => RecordChange<T>,
  ): Promise<T> {
    const change = decide(this.#sessions.get(key) ?? null);
    if (change.write) this.#sessions.set(key, change.write);
    else if (change.remove) this.#sessions.delete(key);
    return change.result;
  }

  protected async unindex(userId: string, key: string): Promise<void> {
    this.#users.get(userId)?.delete(key);
  }

  async destroy(key: string): Promise<void> {
    this.#remove(key);
  }

  async listByUser(userId: string, now: number): Promise<SessionSummary[]> {
    const out: SessionSummary[] = [];
    for (const key of this.#users.get(userId) ?? []) {
      const r = this.#sessions.get(key);
      if (!r)
        this.#users.get(userId)?.delete(key); // prune a dead index entry
      else if (isAlive(r, now)) {
        const { data: _data, userId: _user, ...times } = r;
        out.push({ key, userId, ...times });
      }
    }
    return out;
  }

  async destroyByUser(userId: string, exceptKey?: string): Promise<number> {
    let n = 0;
    for (const key of [...(this.#users.get(userId) ?? [])]) {
      if (key !== exceptKey && this.#remove(key)) n++;
    }
    return n;
  }

  async purgeExpired(now: number, options: PurgeOptions = {}): Promise<number> {
    let n = 0;
    for (const [key, r] of this.#sessions) {
      if (n >= (options.limit ?? Number.POSITIVE_INFINITY)) break;
      if (!isAlive(r, now) && this.#remove(key)) n++;
    }
    options.onProgress?.(n);
    return n;
  }

  #index(userId: string): Set<string> {
    const keys = this.#users.get(userId) ?? new Set<string>();
    this.#users.set(userId, keys);
    return keys;
  }

  #remove(key: string): boolean {
    const r = this.#sessions.get(key);
    if (!r) return false;
    this.#sessions.delete(key);
    if (r.userId !== null) this.#users.get(r.userId)?.delete(key);
    return true;
  }
}
