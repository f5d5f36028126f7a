/**
 * "Log out everywhere" racing a login, forced: the revocation runs exactly
 * between the two steps of a signed-in create (index entry written, session
 * not yet). The session that then appears must stay revocable — listed and
 * removed by the next revocation — never alive outside the index. (Found by
 * test/fuzz/store-model.test.ts: the revocation used to unindex the member
 * whose session it had not found.)
 */

import { record, testKey, testUser } from "cloakroom-sessions/testing";
import { createClient } from "redis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { senderFor } from "../../../src/stores/redis/clients.js";
import { RedisStore } from "../../../src/stores/redis/store.js";
import { describeWithService, probe, SERVICE_URLS } from "../../support/services.js";

const client = createClient({ url: SERVICE_URLS.redis, disableOfflineQueue: true });
client.on("error", () => undefined);
const unavailable = await probe("redis", async () => {
  await client.connect();
  await client.ping();
});

describeWithService("redis", unavailable, "redis store: revocation racing a login", () => {
  const prefix = `crrace:${process.pid}:`;
  let release!: () => void;
  let reachedCreate!: () => void;
  const atCreate = new Promise<void>((r) => {
    reachedCreate = r;
  });
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let store: RedisStore;

  beforeAll(() => {
    const inner = senderFor(client as never, false);
    let held = false;
    store = new RedisStore(
      {
        async send(key, args, signal) {
          // The session write of the create: hold it until the revocation has run.
          if (!held && !key.startsWith(`${prefix}u:`) && args[0] === "EVALSHA") {
            held = true;
            reachedCreate();
            await gate;
          }
          return inner.send(key, args, signal);
        },
        close: () => inner.close(),
      },
      { keyPrefix: prefix, commandTimeout: 5000 },
    );
  });
  afterAll(async () => {
    for (const k of await client.keys(`${prefix}*`)) await client.del(k);
    client.destroy();
  });

  it("leaves a session created during a revocation listed and revocable", async () => {
    const user = testUser();
    const key = testKey();
    const creating = store.create(key, record({ userId: user }));
    await atCreate;
    expect(await store.destroyByUser(user)).toBe(0);
    release();
    await creating;
    expect(await store.get(key, Date.now())).not.toBeNull();
    expect((await store.listByUser(user, Date.now())).map((s) => s.key)).toEqual([key]);
    expect(await store.destroyByUser(user)).toBe(1);
    expect(await store.get(key, Date.now())).toBeNull();
  });
});
