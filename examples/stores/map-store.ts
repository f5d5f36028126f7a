/**
 * A complete session store in one page: the worked example of
 * docs/writing-a-store.md, proved by the conformance kit in
 * test/examples/map-store.test.ts. It keeps whole records in a `Map`, the
 * way a store on a key-value service (DynamoDB, Cloudflare KV, NATS KV)
 * would keep one JSON value per session plus one index value per user.
 *
 * The one thing a real backend adds is exclusive access for the
 * read-modify-write in `patch` and `rotate`: a conditional write (DynamoDB
 * condition expression or transaction, KV compare-and-swap) retried on
 * conflict. Here every method
 * runs without an `await` between its read and its write, which is atomic
 * in one process.
 */
import {
  encodedSize,
  isAlive,
  isStoreKey,
  type PatchResult,
  type PurgeOptions,
  type RotateResult,
  type SessionPatch,
  type SessionStore,
  type SessionSummary,
  type StoredSession,
} from "cloakroom-sessions";

export class MapStore implements SessionStore {
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

  async rotate(
    oldKey: string,
    newKey: string,
    session: StoredSession,
    now: number,
  ): Promise<RotateResult> {
    const old = isStoreKey(oldKey) ? this.#sessions.get(oldKey) : undefined;
    if (!old || !isAlive(old, now)) return "missing"; // revoked first: write nothing
    this.#remove(oldKey);
    await this.create(newKey, session);
    return "ok";
  }

  async patch(key: string, patch: SessionPatch, now: number): Promise<PatchResult> {
    const r = isStoreKey(key) ? this.#sessions.get(key) : undefined;
    if (!r || !isAlive(r, now)) return "missing"; // never recreate a destroyed session
    let data = r.data;
    if (Object.keys(patch.set).length > 0 || patch.unset.length > 0) {
      data = { ...r.data, ...patch.set }; // a spread: "__proto__" stays a plain key
      for (const k of patch.unset) delete data[k];
      if (encodedSize(data) > patch.maxBytes) return "too_large";
    }
    const next = { ...r, data };
    if (patch.touch) {
      next.lastSeenAt = patch.touch.lastSeenAt;
      next.idleExpiresAt = Math.min(patch.touch.idleExpiresAt, r.absoluteExpiresAt);
    }
    this.#sessions.set(key, next);
    return "ok";
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

  async close(): Promise<void> {}

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
