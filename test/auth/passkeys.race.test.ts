/**
 * Two racing verifications of one challenge: exactly one succeeds, on every
 * store family. The interleaving is forced: both requests load the session
 * (both see the challenge) and both reach the store's consumeField before
 * either is let through (a barrier in a wrapper around the real store), and
 * on shared stores the two requests run on two "servers" (two managers, two
 * store connections).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPasskeys } from "../../src/auth/index.js";
import type { SessionStore } from "../../src/core/store.js";
import { createStore } from "../../src/stores/create-store.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { createPostgresStore } from "../../src/stores/postgres/index.js";
import { createSqliteStore } from "../../src/stores/sqlite/index.js";
import { server } from "../support/auth-fixture.js";
import { browser, ORIGIN, passkeyApp, RP_ID, userWithPasskey } from "../support/passkey-fixture.js";
import { describeWithService, redisUnavailable, SERVICE_URLS } from "../support/services.js";
import { dropTable, PG_URL, pgUnavailable, uniqueTable } from "../support/sql.js";

/** Resolves for everyone once `n` callers have arrived. */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  return () => {
    arrived++;
    if (arrived === n) open();
    return gate;
  };
}

/** `store` whose consumeField first waits at `arrive` (shared by the racing servers). */
function gated(store: SessionStore, arrive: () => Promise<void>): SessionStore {
  return new Proxy(store, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target);
      if (prop !== "consumeField") return typeof v === "function" ? v.bind(target) : v;
      return async (...args: Parameters<NonNullable<SessionStore["consumeField"]>>) => {
        await arrive();
        return target.consumeField!(...args);
      };
    },
  });
}

interface Family {
  /** Two stores on one backend (the same instance for memory). */
  open(): Promise<[SessionStore, SessionStore]>;
}

function raceSuite(name: string, family: Family): void {
  it(`${name}: of two racing sign-ins with one challenge, exactly one signs in`, async () => {
    const [s1, s2] = await family.open();
    try {
      for (const kind of ["sign-in", "step-up"] as const) {
        const app = await passkeyApp({}, s1);
        const { browser: owner } = await userWithPasskey(app);
        const b = kind === "sign-in" ? browser(app) : owner;
        const options =
          kind === "sign-in"
            ? ((await b.request((s) => app.passkeys.signInOptions(s))) as never)
            : await b.request(async (s) => {
                const r = await app.passkeys.stepUpOptions(s);
                if (!r.ok) throw new Error(r.reason);
                return r.options as never;
              });
        const response = app.authenticator.get(options);
        // Two servers on the backend, one connection each, their consumeField calls held
        // until both have loaded the session (both saw the challenge) and asked.
        const arrive = barrier(2);
        const a = server(gated(s1, arrive), app.users, app.clock);
        const c = server(gated(s2, arrive), app.users, app.clock);
        const common = {
          credentials: app.credentials,
          rpID: RP_ID,
          rpName: "T",
          origins: [ORIGIN],
        };
        const pa = await createPasskeys(a.auth, common);
        const pc = await createPasskeys(c.auth, common);
        const [sa, sc] = [await a.open(b.cookie), await c.open(b.cookie)];
        const verify = kind === "sign-in" ? "signIn" : "stepUp";
        const results = await Promise.all([
          pa[verify](sa, { response }),
          pc[verify](sc, { response }),
        ]);
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.find((r) => !r.ok)).toMatchObject({ reason: "no-challenge" });
        await Promise.all([a.finish(sa, b.cookie), c.finish(sc, b.cookie)]);
      }
    } finally {
      await s1.close?.();
      if (s2 !== s1) await s2.close?.();
    }
  });
}

const dir = mkdtempSync(join(tmpdir(), "cloakroom-pk-race-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("passkey challenge races", () => {
  raceSuite("memory", {
    open: async () => {
      const m = new MemoryStore({ sweepInterval: 0 });
      return [m, m];
    },
  });
  raceSuite("sqlite (two connections)", {
    open: async () => {
      const path = join(dir, "race.db");
      return [await createSqliteStore({ path }), await createSqliteStore({ path })];
    },
  });
});

const redisDown = await redisUnavailable();
describeWithService("Redis", redisDown, "passkey challenge races on redis", () => {
  raceSuite("redis (two clients)", {
    open: async () => [
      await createStore(SERVICE_URLS.redis, { keyPrefix: "cr:pkrace:" }),
      await createStore(SERVICE_URLS.redis, { keyPrefix: "cr:pkrace:" }),
    ],
  });
});

describeWithService("postgres", pgUnavailable, "passkey challenge races on postgres", () => {
  const table = uniqueTable("crt_pkrace");
  afterAll(() => dropTable("postgres", table));
  raceSuite("postgres (two pools)", {
    open: async () => [
      await createPostgresStore({ url: PG_URL, table, migrate: true }),
      await createPostgresStore({ url: PG_URL, table }),
    ],
  });
});
