/**
 * Parallel logins of one user (REL-13, ASVS 5.0 V7.1.2, V15.4): every login
 * gets its own token, the user index lists exactly the live sessions, and
 * the per-user session cap (cloakroom-sessions/auth `maxSessionsPerUser`, default
 * 20, "the least recently active go") holds. In-process through the real
 * manager and auth on the memory store, with a fake clock.
 *
 * The cap is enforced after the new session is stored (store, list, revoke
 * the excess), so logins racing each other see each other. (Enforced before
 * the store, every racer saw the same count and all got in.) The store
 * answers after 5 ms, as a networked one does: on a store that answers in
 * microseconds the race window is too short to show reliably.
 */
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { Clock, server, signIn, Users } from "../support/auth-fixture.js";

const PARALLEL = 24;

/** The memory store with every call answered 5 ms later, like Redis or SQL over a network. */
function networkLike(inner: MemoryStore): MemoryStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== "function") return v;
      return async (...args: unknown[]) => {
        await new Promise((r) => setTimeout(r, 5));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

async function race(cap: number) {
  const clock = new Clock();
  const users = new Users();
  const store = networkLike(new MemoryStore({ sweepInterval: 0 }));
  // The login throttle lets one account have only 2 password checks in flight
  // per process, which would itself stop this race in one process; several
  // servers still race, so the cap must hold without it: it is switched off.
  const app = {
    clock,
    users,
    store,
    ...server(store, users, clock, { maxSessionsPerUser: cap, throttle: false }),
  };
  await app.users.add("alice", "correct horse battery");
  const logins = await Promise.all(
    Array.from({ length: PARALLEL }, () => signIn(app, "alice", "correct horse battery")),
  );
  const userId = logins[0]!.user.id;
  const live = async () => (await app.sessions.listUserSessions(userId)).length;
  return { app, logins, userId, live };
}

describe("parallel logins of one user", () => {
  it(`${PARALLEL} at once: ${PARALLEL} distinct tokens, each signed in, all indexed`, async () => {
    const { app, logins, live } = await race(Number.POSITIVE_INFINITY);
    const cookies = logins.map((l) => l.cookie);
    expect(new Set(cookies).size).toBe(PARALLEL);
    for (const c of cookies) expect((await app.open(c)).userId).not.toBeNull();
    expect(await live()).toBe(PARALLEL);
  });

  it(`the cap holds under a race: ${PARALLEL} parallel logins with a cap of 5 leave at most 5`, async () => {
    const { live } = await race(5);
    expect(await live()).toBeLessThanOrEqual(5);
  });

  it("after a race, the next login trims back to the cap (how far over the race went is logged)", async () => {
    const { app, live } = await race(5);
    const raced = await live();
    console.info(
      `parallel-logins: ${PARALLEL} racing logins with maxSessionsPerUser 5 left ${raced} live sessions`,
    );
    app.clock.advance(1000);
    await signIn(app, "alice", "correct horse battery");
    expect(await live()).toBe(5);
  });
});
