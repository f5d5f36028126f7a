/**
 * Near caches (one per "server") kept coherent by an invalidation channel:
 * PostgreSQL LISTEN/NOTIFY with a PostgreSQL durable store, Redis pub/sub
 * with a MariaDB durable store. Each server here is its own TieredStore with
 * its own connections (durable pool, channel subscriber, publisher); the
 * multi-process proof through real app servers is near-cache.processes.test.ts.
 *
 * Races are forced, never hoped for: a durable read held after it has read,
 * a channel whose deliveries are held, a channel connection killed by the
 * server (CLIENT KILL, pg_terminate_backend).
 */
import { tmpdir } from "node:os";
import { performance } from "node:perf_hooks";
import { InstrumentedStore, record, testKey, testUser } from "cloakroom-sessions/testing";
import { createClient } from "redis";
import { afterAll, describe, expect, it, vi } from "vitest";
import type { SessionStore, StoredSession } from "../../../src/core/store.js";
import { createStore } from "../../../src/stores/create-store.js";
import { MemoryStore } from "../../../src/stores/memory/index.js";
import type { InvalidationBus } from "../../../src/stores/tiered/bus.js";
import {
  createPostgresBus,
  createRedisBus,
  TieredStore,
} from "../../../src/stores/tiered/index.js";
import { describeWithService, redisUnavailable, SERVICE_URLS } from "../../support/services.js";
import {
  dropTable,
  mysqlUnavailable,
  pgAdmin,
  pgUnavailable,
  uniqueTable,
} from "../../support/sql.js";

const redisDown = await redisUnavailable();

const toClose: SessionStore[] = [];
const tables: ["postgres" | "mysql", string][] = [];
afterAll(async () => {
  for (const s of toClose.splice(0)) await s.close?.().catch(() => undefined);
  for (const [d, t] of tables) await dropTable(d, t).catch(() => undefined);
});

/** When each invalidation was published, and when each other server applied it (`writer:n` → times). */
const timeline = new Map<string, { published?: number; applied: number[] }>();
const invalidationOf = (payload: string) => {
  const m = JSON.parse(payload) as { t: string; p: string; n: number };
  return m.t === "i" ? `${m.p}:${m.n}` : null;
};
const entry = (id: string) => {
  const e = timeline.get(id) ?? { applied: [] };
  timeline.set(id, e);
  return e;
};

/** A bus whose deliveries to this process can be held, as a slow or stalled server would. */
function holdable(inner: InvalidationBus) {
  let held: (() => void)[] | null = null;
  const bus: InvalidationBus = {
    kind: inner.kind,
    start: (onMessage, onLost) =>
      inner.start((payload) => {
        const deliver = () => {
          onMessage(payload); // applies synchronously: the entry is gone when this returns
          const id = invalidationOf(payload);
          if (id) entry(id).applied.push(performance.now());
        };
        if (held) held.push(deliver);
        else deliver();
      }, onLost),
    publish: (p) => {
      const id = invalidationOf(p);
      if (id) entry(id).published = performance.now();
      return inner.publish(p);
    },
    close: () => inner.close(),
  };
  return {
    bus,
    hold() {
      held = [];
    },
    release() {
      const queue = held ?? [];
      held = null;
      for (const deliver of queue) deliver();
    },
  };
}

interface Server {
  /** The channel connections' client / application name. */
  name: string;
  store: TieredStore;
  durable: InstrumentedStore;
  control: ReturnType<typeof holdable>;
}

type Flavour = {
  name: string;
  unavailable: string | null;
  durableUrl: () => string;
  bus: (channel: string, name: string) => InvalidationBus;
  /** Kills the server side of one server's channel connection(s). */
  cut: (name: string) => Promise<number>;
};

const flavours: Flavour[] = [
  {
    name: "PostgreSQL durable, LISTEN/NOTIFY channel",
    unavailable: pgUnavailable,
    durableUrl: () => {
      const table = uniqueTable("crnear");
      tables.push(["postgres", table]);
      return `${SERVICE_URLS.postgres}?table=${table}&migrate=true`;
    },
    bus: (channel, name) =>
      createPostgresBus({ url: SERVICE_URLS.postgres, channel, applicationName: name }),
    cut: async (name) =>
      (
        await pgAdmin<{ ok: boolean }>(
          "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1",
          [name],
        )
      ).length,
  },
  {
    name: "MariaDB durable, Redis pub/sub channel",
    unavailable: mysqlUnavailable ?? redisDown,
    durableUrl: () => {
      const table = uniqueTable("crnear");
      tables.push(["mysql", table]);
      return `${SERVICE_URLS.mysql}?table=${table}&migrate=true`;
    },
    bus: (channel, name) => createRedisBus({ url: SERVICE_URLS.redis, channel, clientName: name }),
    cut: async (name) => {
      const c = createClient({ url: SERVICE_URLS.redis });
      await c.connect();
      try {
        const list = String(await c.sendCommand(["CLIENT", "LIST"]));
        const ids = [...list.matchAll(/id=(\d+) [^\n]* name=(\S+)/g)]
          .filter((m) => m[2] === name)
          .map((m) => m[1]!);
        for (const id of ids) await c.sendCommand(["CLIENT", "KILL", "ID", id]);
        return ids.length;
      } finally {
        await c.destroy();
      }
    },
  },
];

let seq = 0;
async function servers(f: Flavour, n: number, lease = 1000): Promise<Server[]> {
  const url = f.durableUrl();
  const channel = `crnear_${process.pid}_${++seq}`;
  const out: Server[] = [];
  for (let i = 0; i < n; i++) {
    const durable = new InstrumentedStore(await createStore(url));
    const name = `${channel}_s${i}`;
    const control = holdable(f.bus(channel, name));
    const store = new TieredStore({
      durable,
      cache: new MemoryStore({ sweepInterval: 0 }),
      invalidation: control.bus,
      lease,
      ownsStores: true,
      onCacheError: () => {},
    });
    toClose.push(store);
    await store.ready;
    out.push({ name, store, durable, control });
  }
  // Serving starts when each one's own heartbeat came back; peers know each other from theirs.
  await vi.waitFor(
    async () => {
      const k = testKey();
      await out[0]!.store.create(k, record());
      for (const s of out) await s.store.get(k, Date.now());
      for (const s of out) expect(s.store.nearSize).toBeGreaterThan(0);
    },
    { timeout: 5000, interval: 50 },
  );
  return out;
}

/** Reads on every server until each is served from its own near cache (no durable read). */
async function warm(all: Server[], key: string): Promise<void> {
  for (const s of all) {
    expect(await s.store.get(key, Date.now())).not.toBeNull();
    const before = s.durable.calls.get;
    expect(await s.store.get(key, Date.now())).not.toBeNull();
    expect(s.durable.calls.get).toBe(before); // a hit: the old record really is cached there
  }
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

for (const f of flavours) {
  describeWithService(f.name, f.unavailable, `near cache: ${f.name}`, () => {
    it("closing the store reports no lost channel (its own close is not a failure)", async () => {
      const errors: string[] = [];
      const channel = `crnear_${process.pid}_${++seq}`;
      const store = new TieredStore({
        durable: await createStore(f.durableUrl()),
        cache: new MemoryStore({ sweepInterval: 0 }),
        invalidation: f.bus(channel, `${channel}_close`),
        ownsStores: true,
        onCacheError: (err, op) => errors.push(`${op}: ${(err as Error).message}`),
      });
      await store.ready;
      await store.close();
      await new Promise((r) => setTimeout(r, 200));
      expect(errors).toEqual([]);
    });

    it("every write and revocation on one server is honoured by the others on their very next read, 100 of 100 rounds each", async () => {
      const [a, b, c] = await servers(f, 3);
      const all = [a!, b!, c!];
      const others = [b!, c!];
      const held = { logout: 0, revokeOne: 0, revokeOthers: 0, logoutAll: 0, write: 0 };
      const durations: number[] = [];
      /** Publish → last server applied, and last applied − acknowledgement (must be ≤ 0). */
      const spread: number[] = [];
      const afterAck: number[] = [];
      for (let round = 0; round < 100; round++) {
        const user = testUser();
        const [mine, other, third] = [testKey(), testKey(), testKey()];
        for (const k of [mine, other, third]) await a!.store.create(k, record({ userId: user }));
        for (const k of [mine, other, third]) await warm(all, k);

        // write: a field change is seen by the others' next read
        let t0 = performance.now();
        await a!.store.patch(
          mine,
          { set: { cart: `[${round}]` }, unset: [], maxBytes: 65536 },
          Date.now(),
        );
        durations.push(performance.now() - t0);
        for (const s of others) {
          if ((await s.store.get(mine, Date.now()))?.data.cart === `[${round}]`) held.write++;
        }
        await warm(all, mine);

        // revoke one (logout of another device, or this one)
        t0 = performance.now();
        timeline.clear();
        await a!.store.destroy(third);
        const acked = performance.now();
        durations.push(acked - t0);
        for (const e of timeline.values()) {
          // The writer's own echo is one "applied" too; peers are the rest.
          if (e.published === undefined || e.applied.length === 0) continue;
          const last = Math.max(...e.applied);
          spread.push(last - e.published);
          afterAck.push(last - acked);
        }
        if (
          (await b!.store.get(third, Date.now())) === null &&
          (await c!.store.get(third, Date.now())) === null
        )
          held.revokeOne++;

        // revoke others: the current one survives, the other is gone everywhere
        t0 = performance.now();
        await a!.store.destroyByUser(user, mine);
        durations.push(performance.now() - t0);
        const othersGone = (
          await Promise.all(others.map((s) => s.store.get(other, Date.now())))
        ).every((r) => r === null);
        const mineKept = (
          await Promise.all(others.map((s) => s.store.get(mine, Date.now())))
        ).every((r) => r !== null);
        if (othersGone && mineKept) held.revokeOthers++;

        // logout-all, then logout of a fresh session
        await warm(all, mine);
        t0 = performance.now();
        await a!.store.destroyByUser(user);
        durations.push(performance.now() - t0);
        if (
          (await Promise.all(others.map((s) => s.store.get(mine, Date.now())))).every(
            (r) => r === null,
          )
        )
          held.logoutAll++;
        const fresh = testKey();
        await a!.store.create(fresh, record({ userId: user }));
        await warm(all, fresh);
        await a!.store.destroy(fresh);
        if (
          (await Promise.all(others.map((s) => s.store.get(fresh, Date.now())))).every(
            (r) => r === null,
          )
        )
          held.logout++;
      }
      expect(held).toEqual({
        logout: 100,
        revokeOne: 100,
        revokeOthers: 100,
        logoutAll: 100,
        write: 200,
      });
      // No server applies a revocation after it was acknowledged to the client.
      expect(spread.length).toBeGreaterThanOrEqual(100);
      expect(Math.max(...afterAck)).toBeLessThanOrEqual(0);
      console.log(
        `[near cache, ${f.name}] revoke published → last server dropped the entry: p50 ${percentile(spread, 50).toFixed(2)} ms, p99 ${percentile(spread, 99).toFixed(2)} ms; last drop before the acknowledgement by p50 ${(-percentile(afterAck, 50)).toFixed(2)} ms`,
      );
      console.log(
        `[near cache, ${f.name}] 100 rounds: write/revoke resolved in p50 ${percentile(durations, 50).toFixed(2)} ms, p99 ${percentile(durations, 99).toFixed(2)} ms (durable write + invalidation acknowledged by 2 peers)`,
      );
    }, 120_000);

    it("revoke-all reaches sessions that other servers cached under keys the revoking server never saw", async () => {
      const [a, b, c] = await servers(f, 3);
      const user = testUser();
      const keys = [testKey(), testKey(), testKey()];
      const aHeld = a!.store.nearSize; // the readiness probe's entries
      for (const k of keys) await b!.store.create(k, record({ userId: user }));
      for (const k of keys) await warm([b!, c!], k); // A never reads them
      expect(a!.store.nearSize).toBe(aHeld);
      expect(await a!.store.destroyByUser(user)).toBe(3);
      for (const s of [b!, c!]) {
        for (const k of keys) expect(await s.store.get(k, Date.now())).toBeNull();
      }
    });

    it("warm reads cost no store round trip", async () => {
      const [a, b] = await servers(f, 2);
      const key = testKey();
      await a!.store.create(key, record());
      await warm([a!, b!], key);
      const before = b!.durable.calls.get;
      for (let i = 0; i < 1000; i++) expect(await b!.store.get(key, Date.now())).not.toBeNull();
      expect(b!.durable.calls.get - before).toBe(0);
    });

    it("a read racing a revoke cannot put the revoked session back in the cache", async () => {
      const [a, b] = await servers(f, 2);
      const key = testKey();
      await a!.store.create(key, record());
      // B's durable read of the live record is held between "read" and "fill".
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let readTheTruth = false;
      const inner = b!.durable.inner;
      const original = inner.get.bind(inner);
      inner.get = async (k: string, now: number) => {
        const r = await original(k, now);
        readTheTruth = true;
        await gate;
        return r;
      };
      const racing = b!.store.get(key, Date.now());
      await vi.waitFor(() => expect(readTheTruth).toBe(true));
      await a!.store.destroy(key); // acknowledged: B has applied the invalidation
      release();
      expect(await racing).not.toBeNull(); // it started before the revoke: the old answer is allowed
      inner.get = original;
      expect(await b!.store.get(key, Date.now())).toBeNull(); // but it was not cached
      expect(b!.durable.calls.get).toBeGreaterThan(0);
    });

    it("a revocation waits until a slow server has applied it (held deliveries), then that server's next read misses", async () => {
      const [a, b] = await servers(f, 2, 5000);
      const key = testKey();
      await a!.store.create(key, record());
      await warm([a!, b!], key);
      b!.control.hold(); // B receives nothing until released: the invalidation sits in its queue
      let done = false;
      const revoke = a!.store.destroy(key).then(() => {
        done = true;
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(done).toBe(false); // not acknowledged while B could still serve the old session
      expect(await b!.store.get(key, Date.now())).not.toBeNull(); // (and B does, as it has not heard yet)
      b!.control.release();
      await revoke;
      expect(await b!.store.get(key, Date.now())).toBeNull();
    });

    it("a server that goes silent costs the revoker at most one lease, and serves nothing stale", async () => {
      const lease = 800;
      const [a, b] = await servers(f, 2, lease);
      const key = testKey();
      await a!.store.create(key, record());
      await warm([a!, b!], key);
      b!.control.hold(); // B hears nothing more, not even its own heartbeats
      const t0 = performance.now();
      await a!.store.destroy(key);
      const waited = performance.now() - t0;
      expect(waited).toBeLessThan(lease + 600);
      // B's lease has run out: it reads through to the durable store.
      expect(await b!.store.get(key, Date.now())).toBeNull();
      b!.control.release();
    });

    it("a cut channel connection: the cache is bypassed until it has resynchronised, with no stale read under load", async () => {
      const [a, b] = await servers(f, 2);
      const keys = Array.from({ length: 20 }, testKey);
      for (const k of keys) await a!.store.create(k, record());
      for (const k of keys) await warm([a!, b!], k);

      // Background load on B: every read records when it started and what it saw.
      const reads: { started: number; key: string; found: boolean }[] = [];
      let stop = false;
      const load = (async () => {
        let i = 0;
        while (!stop) {
          const key = keys[i++ % keys.length]!;
          const started = performance.now();
          const r = await b!.store.get(key, Date.now());
          reads.push({ started, key, found: r !== null });
        }
      })();

      const killed = await f.cut(b!.name);
      expect(killed).toBeGreaterThan(0);
      const revokedAt = new Map<string, number>();
      for (const k of keys.slice(0, 10)) {
        await a!.store.destroy(k).catch(async () => {
          // The revoker's own channel may be the one cut (PostgreSQL publishes on
          // the listening connection): then the revoke is refused (503), retried.
          await vi.waitFor(() => a!.store.destroy(k), { timeout: 5000, interval: 50 });
        });
        revokedAt.set(k, performance.now());
      }
      // Recovery: B serves from its cache again once resynchronised.
      await vi.waitFor(
        async () => {
          const before = b!.durable.calls.get;
          await b!.store.get(keys[15]!, Date.now());
          await b!.store.get(keys[15]!, Date.now());
          expect(b!.durable.calls.get - before).toBeLessThan(2);
        },
        { timeout: 8000, interval: 100 },
      );
      stop = true;
      await load;
      const stale = reads.filter((r) => r.found && r.started > (revokedAt.get(r.key) ?? Infinity));
      expect(reads.length).toBeGreaterThan(100);
      expect(stale).toEqual([]);
    }, 30_000);
  });
}

describe("near cache without a channel", () => {
  it("is refused over a shared durable store, named in the error", async () => {
    await expect(
      createStore(
        `tiered:?durable=${encodeURIComponent(`file:${tmpdir()}/crnear-${process.pid}`)}&cache=memory:`,
      ),
    ).rejects.toThrow(/invalidation channel/);
  });
  it("works in one process when the app says so", async () => {
    const durable = new MemoryStore({ sweepInterval: 0 });
    Object.defineProperty(durable, "capabilities", { value: { shared: true } });
    const store = new TieredStore({ durable, cache: new MemoryStore(), singleProcess: true });
    const key = testKey();
    await store.create(key, record() as StoredSession);
    expect(await store.get(key, Date.now())).not.toBeNull();
    await store.destroy(key);
    expect(await store.get(key, Date.now())).toBeNull();
  });
});
