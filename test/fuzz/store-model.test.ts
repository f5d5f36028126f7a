/**
 * Every store against a plain in-memory model, after any sequence of
 * create / patch (with and without touch, under and over maxBytes) /
 * destroy / revoke, some of them issued concurrently.
 *
 * A concurrent batch is checked against every order it could have run in:
 * each operation's result must be one it has in some order, and the state
 * afterwards (every session's data, user and deadlines, and each user's
 * session list) must be the state one of those orders leaves. That is
 * exactly the promise "each operation is atomic": a patch never recreates a
 * destroyed session, two patches to different keys both survive, a
 * revocation leaves no session of the user behind.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodedSize } from "../../src/core/codec.js";
import type { PatchResult, SessionStore, StoredSession } from "../../src/core/store.js";
import { createStore } from "../../src/stores/create-store.js";
import { probe, SERVICE_URLS } from "../support/services.js";
import { dropTable, MYSQL_URL, mysqlUnavailable, PG_URL, pgUnavailable } from "../support/sql.js";
import { counted, reportCases, STORE_RUNS } from "./runs.js";

afterAll(() => reportCases("store-model"));

const SLOTS = 4;
const USERS = ["ada", "bob"];
const MIN = 60_000;

type Op =
  | { op: "create"; slot: number; user: number | null }
  | {
      op: "patch";
      slot: number;
      set: [string, string][];
      unset: string[];
      touch: boolean;
      small: boolean;
    }
  | { op: "destroy"; slot: number }
  | { op: "revoke"; user: number; except: number | null };

/** Every live session in the store, and which one each slot names (for targeting). */
interface Model {
  slots: (string | null)[];
  live: Map<string, StoredSession>;
}

const cloneModel = (m: Model): Model => ({ slots: [...m.slots], live: structuredClone(m.live) });

const fieldKey = fc.constantFrom("a", "b", "c", "ünï", "$meta", "k-with-a-longer-name");
const jsonText = fc
  .oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.string({ maxLength: 12 }),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("x", "yy", "z"), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  )
  .map((v) => JSON.stringify(v));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("create" as const),
    slot: fc.nat({ max: SLOTS - 1 }),
    user: fc.option(fc.nat({ max: USERS.length - 1 })),
  }),
  fc.record({
    op: fc.constant("patch" as const),
    slot: fc.nat({ max: SLOTS - 1 }),
    set: fc.uniqueArray(fc.tuple(fieldKey, jsonText), { maxLength: 3, selector: (t) => t[0] }),
    unset: fc.uniqueArray(fieldKey, { maxLength: 2 }),
    touch: fc.boolean(),
    small: fc.boolean(),
  }),
  fc.record({ op: fc.constant("destroy" as const), slot: fc.nat({ max: SLOTS - 1 }) }),
  fc.record({
    op: fc.constant("revoke" as const),
    user: fc.nat({ max: USERS.length - 1 }),
    except: fc.option(fc.nat({ max: SLOTS - 1 })),
  }),
);

/** A batch: one operation, or up to three at once. */
const batchArb = fc.array(opArb, { minLength: 1, maxLength: 3 });

let keyCounter = 0;
function newKey(): string {
  const r = `m${process.pid.toString(36)}${Date.now().toString(36)}${(++keyCounter).toString(36)}`;
  return r.padEnd(43, "_").slice(0, 43);
}

/** Sorted-key JSON, so that `{"b":1,"a":2}` from jsonb equals what was written. */
function canon(text: string): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sort(JSON.parse(text)));
}

function canonData(data: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(data)
      .sort()
      .map((k) => [k, canon(data[k]!)]),
  );
}

interface Prepared {
  op: Op;
  /** Keys and times fixed before the batch runs, so every order sees the same arguments. */
  key?: string;
  record?: StoredSession;
  patchTimes?: { lastSeenAt: number; idleExpiresAt: number };
  maxBytes?: number;
  targetKey?: string | null;
  exceptKey?: string;
}

function prepare(op: Op, model: Model, now: number): Prepared {
  switch (op.op) {
    case "create": {
      const user = op.user === null ? null : USERS[op.user]!;
      return {
        op,
        key: newKey(),
        record: {
          data: { start: '"yes"' },
          userId: user,
          createdAt: now,
          lastSeenAt: now,
          idleExpiresAt: now + 30 * MIN,
          absoluteExpiresAt: now + 600 * MIN,
          ip: "198.51.100.4",
          userAgent: "fuzz",
        },
      };
    }
    case "patch":
      return {
        op,
        targetKey: model.slots[op.slot] ?? null,
        patchTimes: { lastSeenAt: now + 1000, idleExpiresAt: now + 31 * MIN },
        maxBytes: op.small ? 60 : 65536,
      };
    case "destroy":
      return { op, targetKey: model.slots[op.slot] ?? null };
    case "revoke": {
      const ex = op.except === null ? null : model.slots[op.except];
      return ex ? { op, exceptKey: ex } : { op };
    }
  }
}

type Result = PatchResult | number | "done";

/** Applies one prepared operation to a model, returning its result. */
function applyModel(p: Prepared, model: Model): Result {
  const { op } = p;
  switch (op.op) {
    case "create":
      // A session the slot named before stays in the store, alive; only the slot moves on.
      model.slots[op.slot] = p.key!;
      model.live.set(p.key!, structuredClone(p.record!));
      return "done";
    case "patch": {
      const s = p.targetKey ? model.live.get(p.targetKey) : undefined;
      if (!s) return "missing";
      const data = { ...s.data };
      for (const k of op.unset) delete data[k];
      for (const [k, v] of op.set) if (!op.unset.includes(k)) data[k] = v;
      // Nothing set or unset: the data cannot grow, so no size limit (SessionPatch.maxBytes).
      const changes = op.set.length + op.unset.length > 0;
      if (changes && encodedSize(data) > p.maxBytes!) return "too_large";
      s.data = data;
      if (op.touch) Object.assign(s, p.patchTimes);
      return "ok";
    }
    case "destroy":
      if (p.targetKey) model.live.delete(p.targetKey);
      return "done";
    case "revoke": {
      let n = 0;
      for (const [k, r] of [...model.live]) {
        if (r.userId === USERS[op.user] && k !== p.exceptKey) {
          model.live.delete(k);
          n++;
        }
      }
      return n;
    }
  }
}

function runOp(store: SessionStore, p: Prepared, now: number): Promise<Result> {
  const { op } = p;
  switch (op.op) {
    case "create":
      return store.create(p.key!, structuredClone(p.record!)).then(() => "done");
    case "patch":
      if (!p.targetKey) return Promise.resolve("missing");
      return store.patch(
        p.targetKey,
        {
          set: Object.fromEntries(op.set.filter(([k]) => !op.unset.includes(k))),
          unset: op.unset,
          ...(op.touch ? { touch: p.patchTimes! } : {}),
          maxBytes: p.maxBytes!,
        },
        now,
      );
    case "destroy":
      return p.targetKey ? store.destroy(p.targetKey).then(() => "done") : Promise.resolve("done");
    case "revoke":
      return store.destroyByUser(USERS[op.user]!, p.exceptKey);
  }
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) =>
    permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]),
  );
}

function sameSession(got: StoredSession | null, want: StoredSession | undefined): boolean {
  if (want === undefined) return got === null;
  return (
    got !== null &&
    got.userId === want.userId &&
    JSON.stringify(canonData(got.data)) === JSON.stringify(canonData(want.data)) &&
    got.lastSeenAt === want.lastSeenAt &&
    got.idleExpiresAt === want.idleExpiresAt &&
    got.absoluteExpiresAt === want.absoluteExpiresAt
  );
}

/**
 * Whether the store's results match one serial order's. With `splitRevokes`,
 * concurrent revocations of one user may share out the sessions between
 * them (their counts sum to the serial total): stores without multi-key
 * atomicity (file, Memcached) remove each session once, but not all of one
 * user's inside one call.
 */
function sameResults(want: Result[], got: Result[], batch: Op[], splitRevokes: boolean): boolean {
  const sums = new Map<number, [number, number]>();
  for (const [i, op] of batch.entries()) {
    if (op.op === "revoke" && splitRevokes) {
      const [w, g] = sums.get(op.user) ?? [0, 0];
      sums.set(op.user, [w + (want[i] as number), g + (got[i] as number)]);
    } else if (want[i] !== got[i]) {
      return false;
    }
  }
  return [...sums.values()].every(([w, g]) => w === g);
}

async function checkSequence(
  store: SessionStore,
  batches: Op[][],
  splitRevokes = false,
): Promise<void> {
  let model: Model = { slots: Array.from({ length: SLOTS }, () => null), live: new Map() };
  const everyKey = new Set<string>();
  const now = Date.now();
  try {
    for (const batch of batches) {
      const prepared = batch.map((op) => prepare(op, model, now));
      const outcomes = permutations(prepared.map((_, i) => i)).map((order) => {
        const m = cloneModel(model);
        const results: Result[] = [];
        for (const i of order) results[i] = applyModel(prepared[i]!, m);
        return { m, results };
      });
      for (const p of prepared) if (p.key) everyKey.add(p.key);
      const results = await Promise.all(prepared.map((p) => runOp(store, p, now)));
      // Everything alive before the batch or created in it.
      const keys = [
        ...new Set([...model.live.keys(), ...prepared.flatMap((p) => (p.key ? [p.key] : []))]),
      ];
      const seen = new Map<string, StoredSession | null>();
      for (const k of keys) seen.set(k, await store.get(k, now));
      const lists = await Promise.all(
        USERS.map(async (u) => (await store.listByUser(u, now)).map((x) => x.key).sort()),
      );
      const matching = outcomes.filter(
        (o) =>
          sameResults(o.results, results, batch, splitRevokes) &&
          keys.every((k) => sameSession(seen.get(k)!, o.m.live.get(k))) &&
          USERS.every((u, i) => {
            const want = [...o.m.live]
              .filter(([, r]) => r.userId === u)
              .map(([k]) => k)
              .sort();
            return JSON.stringify(want) === JSON.stringify(lists[i]);
          }),
      );
      expect(
        matching.length,
        `no order of ${JSON.stringify(batch)} explains results ${JSON.stringify(results)}, sessions ${JSON.stringify([...seen])} and lists ${JSON.stringify(lists)}; before: ${JSON.stringify([...model.live])}`,
      ).toBeGreaterThan(0);
      model = matching[0]!.m;
    }
  } finally {
    await Promise.all([...everyKey].map((k) => store.destroy(k)));
  }
}

interface Backend {
  name: string;
  unavailable: () => Promise<string | null>;
  open: (dir: string, tag: string) => Promise<SessionStore>;
  cleanup?: (tag: string) => Promise<void>;
  /** Concurrent revocations of one user may split the count (see `sameResults`). */
  splitRevokes?: boolean;
}

const tag = `fz_${process.pid}_${Date.now().toString(36)}`;

const BACKENDS: Backend[] = [
  { name: "memory", unavailable: async () => null, open: () => createStore("memory:") },
  {
    name: "sqlite",
    unavailable: async () => null,
    open: (dir) => createStore(`sqlite:${join(dir, "s.db")}`),
  },
  {
    name: "file",
    splitRevokes: true,
    unavailable: async () => null,
    open: (dir) => createStore(`file:${join(dir, "files")}`),
  },
  {
    name: "redis",
    unavailable: async () => {
      const s = await createStore(SERVICE_URLS.redis, { onConnectionError: () => undefined }).catch(
        (e: Error) => e,
      );
      if (s instanceof Error) return s.message;
      await s.close?.();
      return null;
    },
    open: () =>
      createStore(`${SERVICE_URLS.redis}?keyPrefix=${tag}:`, {
        onConnectionError: () => undefined,
      }),
  },
  {
    name: "postgres",
    unavailable: async () => pgUnavailable,
    open: () => createStore(`${PG_URL}?table=${tag}&migrate=1`),
    cleanup: () => dropTable("postgres", tag),
  },
  {
    name: "mysql",
    unavailable: async () => mysqlUnavailable,
    open: () => createStore(`${MYSQL_URL}?table=${tag}&migrate=1`),
    cleanup: () => dropTable("mysql", tag),
  },
  {
    name: "memcached",
    splitRevokes: true,
    unavailable: () =>
      probe("memcached", async () => {
        const s = await createStore(SERVICE_URLS.memcached);
        try {
          await s.get("probe".padEnd(43, "x"), Date.now());
        } finally {
          await s.close?.();
        }
      }),
    open: () => createStore(`${SERVICE_URLS.memcached}?prefix=${tag}:`),
  },
  {
    name: "tiered (sqlite + memory cache)",
    unavailable: async () => null,
    open: (dir) =>
      createStore(
        `tiered:?durable=${encodeURIComponent(`sqlite:${join(dir, "t.db")}`)}&cache=memory:&singleProcess=true`,
      ),
  },
];

for (const b of BACKENDS) {
  describe(`store model: ${b.name}`, () => {
    let store: SessionStore | undefined;
    let dir: string;
    let skip: string | null = null;
    beforeAll(async () => {
      skip = await b.unavailable();
      if (skip !== null) {
        if (process.env.CLOAKROOM_REQUIRE_SERVICES === "1") throw new Error(`${b.name}: ${skip}`);
        return;
      }
      dir = mkdtempSync(join(tmpdir(), "cloakroom-fuzz-"));
      store = await b.open(dir, tag);
    });
    afterAll(async () => {
      await store?.close?.();
      await b.cleanup?.(tag).catch(() => undefined);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it(
      "agrees with the model after any sequence, concurrent batches included",
      async (ctx) => {
        if (!store) {
          console.warn(`SKIPPED store model ${b.name}: ${skip}`);
          ctx.skip();
          return;
        }
        await fc.assert(
          fc.asyncProperty(
            fc.array(batchArb, { minLength: 1, maxLength: 8 }),
            counted((batches: Op[][]) => checkSequence(store!, batches, b.splitRevokes === true)),
          ),
          {
            numRuns: STORE_RUNS,
            ...(process.env.FZ_SEED
              ? {
                  seed: Number(process.env.FZ_SEED),
                  path: process.env.FZ_PATH!,
                  endOnFailure: true,
                }
              : {}),
          },
        );
      },
      Math.max(120_000, STORE_RUNS * 300),
    );
  });
}
