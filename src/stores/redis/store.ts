/**
 * The Redis store: one hash per session (layout.ts), one sorted set per user,
 * every multi-step write a single-key Lua script (scripts.ts). Costs, counted
 * against Redis's own INFO commandstats in test/stores/redis/round-trips.test.ts:
 * `get` is one HGETALL; `patch` (a touch too) one EVALSHA; `destroy` one
 * DEL; `create` one EVALSHA, plus one for the user index when signed in.
 *
 * What is atomic: everything that touches one session (create, patch,
 * destroy) and everything that touches one user index. What is not: a
 * signed-in `create` writes two keys that live in different hash slots (the
 * session and its user's index), so on a cluster they cannot share a
 * transaction. The order makes that safe: the index entry is written first,
 * so a session is never alive without being revocable; if the session write
 * then fails, the index holds a dangling member, which listByUser drops the
 * next time it meets it. `destroy` leaves the same kind of dangling member.
 */

import { ConfigurationError, StoreUnavailableError } from "../../core/errors.js";
import { interleave } from "../../core/interleave.js";
import type { Logger } from "../../core/options.js";
import {
  isAlive,
  type PatchResult,
  type RotateResult,
  type SessionPatch,
  type SessionStore,
  type SessionSummary,
  type StoredSession,
  type StoreStats,
  storeFailure,
} from "../../core/store.js";
import { isTouchOnly, summaryOf } from "../record-json.js";
import type { StoreLog } from "../shared/store-log.js";
import type { MasterSender, RedisCommandSender } from "./clients.js";
import { Deadlines } from "./deadlines.js";
import {
  counterKey,
  DATA,
  decodeSession,
  encodeSession,
  KEY_CHARS,
  sessionKey,
  userKey,
} from "./layout.js";
import {
  CLAIM,
  CONSUME,
  CREATE,
  INCREMENT,
  INDEX_ADD,
  PATCH,
  PATCH_DATA,
  type Script,
  TOUCH,
} from "./scripts.js";

export interface RedisStoreSettings {
  /** Prefix of every key the store writes. @default "cr:" */
  keyPrefix?: string;
  /**
   * How long one command may wait, ms. Past it (within a quarter more: see
   * deadlines.ts) the call rejects with StoreUnavailableError and the
   * command is dropped from the client's queue (it may still have reached
   * the server).
   * @default 2000
   */
  commandTimeout?: number;
  /**
   * After every write, `WAIT` until this many replicas acknowledged it, and
   * reject with StoreUnavailableError when fewer did within
   * `replicaAckTimeout`. Narrows (it cannot close: redis.io "WAIT") the
   * window in which a failover loses an acknowledged write — a logout above
   * all (REL-04). Costs one more round trip per write. Needs every write on
   * one connection per node: node-redis client, cluster or sentinel (its
   * default masterPoolSize 1), or an ioredis client — not an ioredis Cluster,
   * which cannot route a keyless WAIT to the node that took the write.
   * @default 0 (no waiting)
   */
  replicaAcks?: number;
  /** How long `WAIT` may block, ms; keep it below `commandTimeout`. @default 500 */
  replicaAckTimeout?: number;
}

export class RedisStore implements SessionStore {
  readonly kind = "redis";
  /** Records expire by themselves (PEXPIREAT at the earlier deadline), so there is no `purgeExpired`. */
  readonly capabilities = { shared: true } as const;
  readonly #redis: RedisCommandSender;
  readonly #prefix: string;
  readonly #timeout: number;
  readonly #label: string;
  readonly #acks: number;
  readonly #ackTimeout: number;
  readonly #deadlines: Deadlines;
  /** Where the connection errors of a client this store opened go (see `useLogger`). */
  readonly #log: StoreLog | undefined;

  /** Prefer `createRedisStore()`, which builds the sender from a client or a URL. */
  constructor(
    sender: RedisCommandSender,
    settings: RedisStoreSettings = {},
    label = "redis",
    log?: StoreLog,
  ) {
    this.#redis = sender;
    this.#log = log;
    this.#prefix = settings.keyPrefix ?? "cr:";
    this.#timeout = settings.commandTimeout ?? 2000;
    this.#label = label;
    this.#acks = settings.replicaAcks ?? 0;
    this.#ackTimeout = settings.replicaAckTimeout ?? 500;
    this.#deadlines = new Deadlines(
      this.#timeout,
      (command) =>
        new StoreUnavailableError(
          `${this.#label}: ${command} got no answer in ${this.#timeout} ms`,
        ),
    );
  }

  async get(key: string, now: number): Promise<StoredSession | null> {
    const k = sessionKey(this.#prefix, key);
    const r = decodeSession(await this.#send(k, ["HGETALL", k]));
    return r !== null && isAlive(r, now) ? r : null;
  }

  async create(key: string, session: StoredSession): Promise<void> {
    await this.#index(key, session, "redis.create:indexed");
    await this.#write(key, session);
  }

  /**
   * Rotation across slots, in the order that keeps revocation whole: the new
   * session is indexed first (so it is revocable the moment it exists), then
   * the old one is claimed — deleted only if alive, in one script on its own
   * node: the step a revocation either precedes (the claim finds nothing and
   * nothing is written) or follows — and only then is the new one written.
   * A failed claim takes the new index entry straight back; a successful one
   * unindexes the old session.
   */
  async rotate(
    oldKey: string,
    newKey: string,
    session: StoredSession,
    now: number,
  ): Promise<RotateResult> {
    await this.#index(newKey, session, "redis.rotate:indexed");
    const old = sessionKey(this.#prefix, oldKey);
    const claimed = (await this.#run(CLAIM, old, [String(now)])) as unknown[] | null;
    await interleave("redis.rotate:claimed");
    if (!Array.isArray(claimed)) {
      if (session.userId !== null) {
        const u = userKey(this.#prefix, session.userId);
        await this.#send(u, ["ZREM", u, indexMember(newKey, session.createdAt)]);
      }
      return "missing";
    }
    await this.#replicated(old);
    await this.#write(newKey, session);
    const [oldUser, createdAt] = claimed.map(String);
    if (oldUser) {
      const u = userKey(this.#prefix, oldUser);
      await this.#send(u, ["ZREM", u, indexMember(oldKey, Number(createdAt)), oldKey]);
    }
    return "ok";
  }

  /** Indexes a signed-in session under its user (before the session is written: see the header). */
  async #index(key: string, session: StoredSession, point: string): Promise<void> {
    if (session.userId === null) return;
    const u = userKey(this.#prefix, session.userId);
    await this.#run(INDEX_ADD, u, [
      String(session.absoluteExpiresAt),
      indexMember(key, session.createdAt),
      String(session.createdAt),
    ]);
    await interleave(point);
    await this.#replicated(u);
  }

  async #write(key: string, session: StoredSession): Promise<void> {
    const expireAt = Math.min(session.idleExpiresAt, session.absoluteExpiresAt);
    const k = sessionKey(this.#prefix, key);
    await this.#run(CREATE, k, [String(expireAt), ...encodeSession(session)]);
    await this.#replicated(k);
  }

  async patch(key: string, patch: SessionPatch, now: number): Promise<PatchResult> {
    const touchOnly = isTouchOnly(patch);
    if (touchOnly && patch.touch) return this.#touch(key, patch.touch, now);
    const set = Object.keys(patch.set);
    const args = [
      String(now),
      // Nothing set or unset: the data cannot grow, so no size limit (SessionPatch.maxBytes).
      String(touchOnly ? Number.MAX_SAFE_INTEGER : patch.maxBytes),
      patch.touch ? String(patch.touch.lastSeenAt) : "",
      patch.touch ? String(patch.touch.idleExpiresAt) : "",
      String(set.length),
    ];
    for (const k of set) args.push(DATA + k, patch.set[k]!);
    for (const k of patch.unset) args.push(DATA + k);
    const k = sessionKey(this.#prefix, key);
    const result = await this.#run(patch.touch ? PATCH : PATCH_DATA, k, args);
    if (result !== 1) return result === 2 ? "too_large" : "missing";
    await this.#replicated(k);
    return "ok";
  }

  async consumeField(key: string, field: string, value: string, now: number): Promise<boolean> {
    const k = sessionKey(this.#prefix, key);
    const taken = (await this.#run(CONSUME, k, [String(now), DATA + field, value])) === 1;
    if (taken) await this.#replicated(k);
    return taken;
  }

  async destroy(key: string): Promise<void> {
    const k = sessionKey(this.#prefix, key);
    await this.#send(k, ["DEL", k]);
    await this.#replicated(k);
  }

  async listByUser(userId: string, now: number): Promise<SessionSummary[]> {
    const u = userKey(this.#prefix, userId);
    // Both on the index's node, sent together: one round trip.
    const [, reply] = await Promise.all([
      this.#send(u, ["ZREMRANGEBYSCORE", u, "-inf", String(now)]),
      this.#send(u, ["ZRANGE", u, "0", "-1"]),
    ]);
    const members = (reply as unknown[]).map(String);
    // One HGETALL per session: each lives in its own slot. Sent together, so
    // one round trip per node however many sessions the user has.
    const records = await Promise.all(
      members.map((m) => {
        const k = sessionKey(this.#prefix, memberKey(m));
        return this.#send(k, ["HGETALL", k]).then(decodeSession);
      }),
    );
    const out: SessionSummary[] = [];
    const gone: string[] = [];
    members.forEach((m, n) => {
      const r = records[n] ?? null;
      // Only a session that no longer exists is unindexed — and not while a
      // create may still be between its index write and its session write
      // (unindexing it then would let it live on outside every revocation).
      // One merely expired at `now` may still be alive by Redis's clock; its
      // TTL will remove it.
      if (r === null) {
        if (pastCreation(m, now)) gone.push(m);
      } else if (r.userId !== userId) gone.push(m);
      else if (isAlive(r, now)) out.push(summaryOf(memberKey(m), userId, r));
    });
    if (gone.length > 0) await this.#send(u, ["ZREM", u, ...gone]);
    return out;
  }

  async destroyByUser(userId: string, exceptKey?: string): Promise<number> {
    const u = userKey(this.#prefix, userId);
    const reply = (await this.#send(u, ["ZRANGE", u, "0", "-1"])) as unknown[];
    const members = reply.map(String).filter((m) => memberKey(m) !== exceptKey);
    if (members.length === 0) return 0;
    await interleave("redis.destroyByUser:listed");
    const removed = await Promise.all(
      members.map(async (m) => {
        const k = sessionKey(this.#prefix, memberKey(m));
        const n = Number(await this.#send(k, ["DEL", k]));
        await this.#replicated(k);
        return n;
      }),
    );
    // Unindex only what this call deleted (and long-dead entries): a member
    // whose session was not there may belong to a create still in flight,
    // whose session write is about to land — it must stay revocable.
    const now = Date.now();
    const done = members.filter((m, n) => removed[n] === 1 || pastCreation(m, now));
    if (done.length > 0) await this.#send(u, ["ZREM", u, ...done]);
    return removed.reduce<number>((n, r) => n + r, 0);
  }

  async increment(name: string, by: number, ttlMs: number): Promise<number> {
    const k = counterKey(this.#prefix, name);
    const v = Number(await this.#run(INCREMENT, k, [String(by), String(Math.max(1, ttlMs))]));
    await this.#replicated(k);
    return v;
  }

  async resetCounter(name: string): Promise<void> {
    const k = counterKey(this.#prefix, name);
    await this.#send(k, ["DEL", k]);
    await this.#replicated(k);
  }

  /**
   * Counts for `cloakroom-sessions stats`: a SCAN over the store's prefix, 1,000
   * keys a round trip, so it never blocks Redis the way KEYS would (and is
   * approximate while keys come and go, as SCAN is). Live sessions are the
   * session hashes (expired ones are gone: native TTL), users the user
   * indexes. On a cluster, each master is scanned in turn (a SCAN sees
   * only the node it runs on; replicas hold copies, so they are skipped).
   */
  async stats(): Promise<StoreStats> {
    const prefix = this.#prefix;
    const totals: StoreStats = { live: 0, expired: null, users: 0 };
    if (!this.#redis.cluster) {
      await this.#scanNode(totals, (args, signal) => this.#redis.send(prefix, args, signal));
      return totals;
    }
    if (!this.#redis.masters) {
      throw new ConfigurationError(
        `${this.#label}: stats on a Redis Cluster needs the client's list of masters (node-redis 5+ nodeClient, or ioredis Cluster nodes), which this client does not have`,
      );
    }
    const masters = await this.#deadlines
      .run("CLUSTER", () => this.#redis.masters!())
      .catch((err: unknown) => {
        throw storeFailure(err, `${this.#label}: cannot reach the cluster's masters`);
      });
    for (const node of masters) await this.#scanNode(totals, node);
    return totals;
  }

  /** Adds one node's keys under the prefix to `totals`, a SCAN of 1,000 keys at a time. */
  async #scanNode(totals: StoreStats, node: MasterSender): Promise<void> {
    const prefix = this.#prefix;
    const pattern = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
    let cursor = "0";
    do {
      const args = ["SCAN", cursor, "MATCH", pattern, "COUNT", "1000"];
      let reply: [unknown, unknown[]];
      try {
        reply = (await this.#deadlines.run("SCAN", (signal) => node(args, signal))) as [
          unknown,
          unknown[],
        ];
      } catch (err) {
        throw storeFailure(err, `${this.#label}: SCAN failed`);
      }
      const [next, keys] = reply;
      for (const key of keys) {
        const rest = String(key).slice(prefix.length);
        if (rest.startsWith("u:")) totals.users = (totals.users ?? 0) + 1;
        // Session keys are 22 base64url characters: never a ":" (user indexes are u:, counters n:).
        else if (rest.length === KEY_CHARS && !rest.includes(":")) totals.live++;
      }
      cursor = String(next);
    } while (cursor !== "0");
  }

  async close(): Promise<void> {
    await this.#redis.close();
  }

  /** Connection errors of a client the store opened are reported through the manager's logger. */
  useLogger(logger: Logger): void {
    this.#log?.use(logger);
  }

  /** A patch with nothing but the touch: the smaller script, no read of the data fields. */
  async #touch(key: string, touch: NonNullable<SessionPatch["touch"]>, now: number) {
    const k = sessionKey(this.#prefix, key);
    const args = [String(now), String(touch.lastSeenAt), String(touch.idleExpiresAt)];
    if ((await this.#run(TOUCH, k, args)) !== 1) return "missing";
    await this.#replicated(k);
    return "ok";
  }

  /** With `replicaAcks`: WAIT on the node (and connection) that took the write to `key`. */
  async #replicated(key: string): Promise<void> {
    if (this.#acks === 0) return;
    const acked = Number(
      await this.#send(key, ["WAIT", String(this.#acks), String(this.#ackTimeout)]),
    );
    if (acked < this.#acks) {
      throw new StoreUnavailableError(
        `${this.#label}: write acknowledged by ${acked} of ${this.#acks} replicas within ${this.#ackTimeout} ms`,
      );
    }
  }

  /** EVALSHA, falling back to EVAL when the node does not have the script cached. */
  async #run(script: Script, key: string, args: string[]): Promise<unknown> {
    try {
      return await this.#send(key, ["EVALSHA", script.sha, "1", key, ...args]);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return this.#send(key, ["EVAL", script.body, "1", key, ...args]);
    }
  }

  /** One command with a deadline; any failure becomes StoreUnavailableError. */
  async #send(key: string, args: string[]): Promise<unknown> {
    try {
      return await this.#deadlines.run(args[0]!, (signal) => this.#redis.send(key, args, signal));
    } catch (err) {
      if (isNoScript(err)) throw err;
      throw storeFailure(err, `${this.#label}: ${args[0]} failed`);
    }
  }
}

/**
 * Redis answers `NOSCRIPT No matching script` to EVALSHA for a script it has
 * not cached (https://redis.io/docs/latest/commands/evalsha/). The one place
 * that reads an error's text: the reply has no other code.
 */
function isNoScript(err: unknown): boolean {
  return String((err as Error)?.message ?? "").startsWith("NOSCRIPT");
}

/**
 * How long after its creation time an index entry without a session may be
 * dropped. A create writes the index entry, then the session (different
 * slots); far more than any command deadline separates the two.
 */
const CREATE_GRACE_MS = 60_000;

/** Index members are `<store key>.<createdAt>`; older data holds the bare key. */
function indexMember(key: string, createdAt: number): string {
  return `${key}.${createdAt}`;
}

function memberKey(member: string): string {
  const dot = member.indexOf(".");
  return dot === -1 ? member : member.slice(0, dot);
}

/** True when a create that wrote this entry has certainly finished (or the entry predates the creation time). */
function pastCreation(member: string, now: number): boolean {
  const dot = member.indexOf(".");
  if (dot === -1) return true;
  return Number(member.slice(dot + 1)) < now - CREATE_GRACE_MS;
}
