/**
 * Keeps every process's near cache coherent with the durable store: a write
 * or revocation is acknowledged only once no process can serve the old
 * record any more. The protocol is the lease-based invalidation of Chubby
 * (Burrows, OSDI 2006, §2.5: "the master blocks a modification until all
 * caches have acknowledged the invalidation or their leases have expired"),
 * over any ordered bus ({@link InvalidationBus}).
 *
 * - **Lease.** Every `beatEvery` ms each process publishes a beat stamped
 *   with its own monotonic clock. When its own beat comes back, it may serve
 *   from its near cache until `stamp + lease`. The bus delivers in one order,
 *   so a beat that came back proves that every invalidation published before
 *   it has been processed. A process that stops hearing its own beats
 *   (connection lost, bus down, event loop stalled) stops serving from cache
 *   when its lease runs out, and empties the cache before serving again.
 * - **Invalidation.** The writer drops its own entry, publishes
 *   `{keys, users}`, and waits for its own message to come back: by then it
 *   has seen every beat published before it, so it knows every process whose
 *   lease could still cover an old entry. It then waits until each of those
 *   has acknowledged (after dropping the entries) or its lease has run out
 *   (its last beat's arrival + `lease` + `margin`, on the writer's clock: the
 *   beat was stamped before it arrived, so the peer's own deadline is earlier).
 * - **Fills.** A read that went to the durable store fills the cache only if
 *   no invalidation arrived while it was out (`generation` unchanged): an
 *   invalidation can overtake a read of the old record, never be undone by it.
 *
 * Hence the ordering promise: once `invalidate` resolves, a request that any
 * process starts afterwards either misses its near cache or finds it
 * emptied of the old record. A dead or partitioned peer costs the writer at
 * most `lease + margin` of waiting, once.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { StoreUnavailableError } from "../../core/errors.js";
import type { InvalidationBus } from "./bus.js";
import type { NearCache } from "./near-cache.js";

export interface CoherenceOptions {
  /** How long a process may serve from its cache after its own beat came back, ms. @default 1000 */
  lease?: number;
  /** How often each process publishes a beat, ms; well under `lease`. @default lease / 4 */
  beatEvery?: number;
  /** Added to a silent peer's lease before the writer stops waiting for it, ms (clock rate differences, delivery). @default 100 */
  margin?: number;
  /** Told when the bus is lost or a publish fails (the cache is bypassed meanwhile). */
  onError?: (err: unknown, operation: string) => void;
}

/** What one invalidation reaches. */
export interface Invalidation {
  keys?: readonly string[];
  users?: readonly string[];
}

type Message =
  | { t: "b"; p: string; s: number }
  | { t: "i"; p: string; n: number; k?: string[]; u?: string[] }
  | { t: "a"; p: string; to: string; n: number }
  | { t: "x"; p: string };

interface Pending {
  /** Peers still to acknowledge, each with the time the writer stops waiting for it. */
  peers: Map<string, number>;
  echoed: boolean;
  done: () => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** How the tiered store keeps its near cache honest: across processes ({@link Coherence}) or in one ({@link localCoherence}). */
export interface CacheCoherence {
  readonly serving: boolean;
  readonly generation: number;
  start(): Promise<void>;
  invalidate(what: Invalidation): Promise<void>;
  close(): Promise<void>;
}

/** For an app that runs one process: every write goes through this process, so dropping the entry here is enough. */
export function localCoherence(cache: NearCache): CacheCoherence {
  let generation = 0;
  return {
    serving: true,
    get generation() {
      return generation;
    },
    async start() {},
    async invalidate(what) {
      generation++;
      for (const k of what.keys ?? []) cache.drop(k);
      for (const u of what.users ?? []) cache.dropUser(u);
    },
    async close() {},
  };
}

export class Coherence implements CacheCoherence {
  /** This process's id on the bus. */
  readonly id = randomBytes(9).toString("base64url");
  readonly #bus: InvalidationBus;
  readonly #cache: NearCache;
  readonly #lease: number;
  readonly #beatEvery: number;
  readonly #margin: number;
  readonly #onError: (err: unknown, operation: string) => void;
  /** Monotonic time until which the cache may serve. */
  #leaseUntil = Number.NEGATIVE_INFINITY;
  /** Peer id → monotonic time after which its lease has surely run out. */
  readonly #peers = new Map<string, number>();
  readonly #pending = new Map<number, Pending>();
  #seq = 0;
  #generation = 0;
  #beat: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(bus: InvalidationBus, cache: NearCache, options: CoherenceOptions = {}) {
    this.#bus = bus;
    this.#cache = cache;
    this.#lease = options.lease ?? 1000;
    this.#beatEvery = options.beatEvery ?? Math.max(10, Math.floor(this.#lease / 4));
    this.#margin = options.margin ?? 100;
    this.#onError = options.onError ?? (() => {});
    if (!(this.#beatEvery < this.#lease)) {
      throw new RangeError("near cache: beatEvery must be shorter than the lease");
    }
  }

  /** True while the cache may answer reads: this process cannot have missed an invalidation. */
  get serving(): boolean {
    return performance.now() < this.#leaseUntil;
  }

  /** Changes with every invalidation this process applies; a fill checks it did not change. */
  get generation(): number {
    return this.#generation;
  }

  /** Subscribes and starts beating; resolves once subscribed (serving starts with the first beat back). */
  async start(): Promise<void> {
    await this.#bus.start(
      (payload) => this.#receive(payload),
      (reason) => this.#lost(reason, "channel"),
    );
    this.#beat = setInterval(() => this.#sendBeat(), this.#beatEvery);
    this.#beat.unref?.();
    this.#sendBeat();
  }

  /**
   * Drops the entries here, and returns once no other process can serve them:
   * each has acknowledged or its lease has run out. Rejects with
   * StoreUnavailableError when the invalidation cannot be sent (the durable
   * write has happened; the caller must not acknowledge it as done everywhere).
   */
  async invalidate(what: Invalidation): Promise<void> {
    this.#apply(what.keys, what.users);
    const n = ++this.#seq;
    const message: Message = { t: "i", p: this.id, n };
    if (what.keys?.length) message.k = [...what.keys];
    if (what.users?.length) message.u = [...what.users];
    const settled = new Promise<void>((resolve) => {
      this.#pending.set(n, { peers: new Map(), echoed: false, done: resolve, timer: undefined });
    });
    // Our own message never coming back (our subscription is down): then the
    // peers we know may be out of date, so wait out every lease that could
    // have started before now.
    const echoTimeout = setTimeout(() => this.#finish(n), this.#lease + this.#margin);
    echoTimeout.unref?.();
    const p = this.#pending.get(n)!;
    p.timer = echoTimeout;
    try {
      await this.#bus.publish(JSON.stringify(message));
    } catch (err) {
      this.#finish(n);
      this.#onError(err, "invalidate");
      throw new StoreUnavailableError(
        `tiered store: the near-cache invalidation channel (${this.#bus.kind}) is unreachable; the write reached the durable store, but other servers may still serve the old session`,
        { cause: err },
      );
    }
    await settled;
  }

  /** Says goodbye (peers stop waiting for us), stops beating, closes the bus. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#beat);
    this.#leaseUntil = Number.NEGATIVE_INFINITY;
    for (const n of [...this.#pending.keys()]) this.#finish(n);
    await this.#bus.publish(JSON.stringify({ t: "x", p: this.id })).catch(() => undefined);
    await this.#bus.close();
  }

  #sendBeat(): void {
    if (this.#closed) return;
    const beat: Message = { t: "b", p: this.id, s: performance.now() };
    this.#bus.publish(JSON.stringify(beat)).catch((err: unknown) => this.#onError(err, "beat"));
  }

  #receive(payload: string): void {
    let m: Message;
    try {
      m = JSON.parse(payload) as Message;
    } catch {
      return; // not ours: the channel may be shared with other software
    }
    if (typeof m !== "object" || m === null || typeof m.p !== "string") return;
    const now = performance.now();
    switch (m.t) {
      case "b":
        if (m.p === this.id) {
          // A lapse means messages may have been missed while we were not listening.
          if (now >= this.#leaseUntil) this.#emptyCache();
          this.#leaseUntil = Math.max(this.#leaseUntil, m.s + this.#lease);
        } else {
          this.#peers.set(m.p, now + this.#lease + this.#margin);
        }
        return;
      case "i":
        if (m.p === this.id) {
          this.#echoed(m.n, now);
          return;
        }
        this.#apply(m.k, m.u);
        this.#bus
          .publish(JSON.stringify({ t: "a", p: this.id, to: m.p, n: m.n } satisfies Message))
          .catch((err: unknown) => this.#onError(err, "acknowledge"));
        return;
      case "a":
        if (m.to === this.id) this.#acknowledged(m.n, m.p);
        return;
      case "x":
        this.#peers.delete(m.p);
        for (const n of [...this.#pending.keys()]) this.#acknowledged(n, m.p);
        return;
    }
  }

  /** Our invalidation came back: every beat published before it has been seen, so the peer set is complete. */
  #echoed(n: number, now: number): void {
    const p = this.#pending.get(n);
    if (!p || p.echoed) return;
    p.echoed = true;
    clearTimeout(p.timer);
    let latest = now;
    for (const [peer, until] of this.#peers) {
      if (until <= now) {
        this.#peers.delete(peer); // silent past its lease: it serves nothing stale any more
        continue;
      }
      p.peers.set(peer, until);
      latest = Math.max(latest, until);
    }
    if (p.peers.size === 0) {
      this.#finish(n);
      return;
    }
    p.timer = setTimeout(() => this.#finish(n), latest - now);
    p.timer.unref?.();
  }

  #acknowledged(n: number, peer: string): void {
    const p = this.#pending.get(n);
    if (!p?.echoed) return;
    p.peers.delete(peer);
    if (p.peers.size === 0) this.#finish(n);
  }

  #finish(n: number): void {
    const p = this.#pending.get(n);
    if (!p) return;
    this.#pending.delete(n);
    clearTimeout(p.timer);
    p.done();
  }

  #apply(keys: readonly string[] | undefined, users: readonly string[] | undefined): void {
    this.#generation++;
    if (Array.isArray(keys)) for (const k of keys) this.#cache.drop(String(k));
    if (Array.isArray(users)) for (const u of users) this.#cache.dropUser(String(u));
  }

  #emptyCache(): void {
    this.#generation++;
    this.#cache.clear();
  }

  #lost(reason: unknown, operation: string): void {
    this.#leaseUntil = Number.NEGATIVE_INFINITY;
    this.#emptyCache();
    this.#onError(reason, operation);
  }
}
