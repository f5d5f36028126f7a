/**
 * Store keys match exactly, on every backend (REL-47): a key with one
 * letter's case flipped, a trailing space, or a trailing tab finds nothing.
 * MySQL's default collations are case- and accent-insensitive and
 * PAD SPACE, so a careless schema would hand out another user's session
 * for a look-alike key. Tokens are HMAC-checked before any lookup
 * (test/security/malformed-cookies.test.ts), so this is the second line.
 * SQL servers skip, or fail under CLOAKROOM_REQUIRE_SERVICES=1, when down.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { record, touchOnly } from "cloakroom-sessions/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { SessionStore } from "../../src/core/store.js";
import { createStore } from "../../src/stores/create-store.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";
import { type Dialect, dropTable, openStore, unavailableOf, uniqueTable } from "../support/sql.js";

const dir = mkdtempSync(join(tmpdir(), "cloakroom-keycase-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real store key: 43 base64url characters with both cases present. */
const KEY = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-aBcDe";

/**
 * Keys that differ from `key` only by case, padding or an accent. `whole`
 * false keeps to differences inside the first 22 characters: the Redis store
 * keys a session by that 132-bit prefix of the SHA-256 (docs/redis.md), so a
 * key differing only after it is the same session by design — and no cookie
 * can produce one, since store keys are hashes of HMAC-verified tokens.
 */
function lookAlikes(key: string, whole: boolean): string[] {
  const i = key.search(/[a-z]/);
  const flipped = key.slice(0, i) + key[i]!.toUpperCase() + key.slice(i + 1);
  const out = [flipped, key.toLowerCase(), key.toUpperCase()];
  if (whole) out.push(`${key} `, `${key}\t`, `${key.slice(0, -1)}é`);
  return out;
}

async function expectExact(store: SessionStore, whole = true): Promise<void> {
  await store.create(KEY, record({ userId: "alice" }));
  try {
    expect(await store.get(KEY, Date.now())).not.toBeNull();
    for (const k of lookAlikes(KEY, whole)) {
      expect(await store.get(k, Date.now()), JSON.stringify(k)).toBeNull();
      // A write to the look-alike must not land on the real record either.
      expect(
        await store.patch(k, touchOnly(Date.now(), Date.now() + 1000), Date.now()),
        JSON.stringify(k),
      ).toBe("missing");
    }
    expect((await store.get(KEY, Date.now()))!.userId).toBe("alice");
  } finally {
    await store.destroy(KEY);
  }
}

it("memory: exact keys", async () => {
  await expectExact(new MemoryStore({ sweepInterval: 0 }));
});

for (const d of ["sqlite", "postgres", "mysql"] as Dialect[]) {
  describeWithService(d, unavailableOf(d), `${d}: exact keys`, () => {
    const table = uniqueTable(`crt_case_${d}`);
    let store: SessionStore;
    beforeAll(async () => {
      store = await openStore(d, table, dir);
    });
    afterAll(async () => {
      await store?.close?.();
      if (d !== "sqlite") await dropTable(d, table);
    });
    it("a case-flipped, padded or accented look-alike key finds nothing", async () => {
      await expectExact(store);
    });
  });
}

const redisDown = await probe("redis", async () => {
  const s = await createStore(`${SERVICE_URLS.redis}?keyPrefix=sec-case-probe:`);
  await s.close?.();
});
describeWithService("redis", redisDown, "redis: exact keys", () => {
  it("a look-alike differing by case within the keyed prefix finds nothing", async () => {
    const store = await createStore(
      `${SERVICE_URLS.redis}?keyPrefix=${encodeURIComponent(`sec-case-${process.pid}:`)}`,
    );
    try {
      await expectExact(store, false);
    } finally {
      await store.close?.();
    }
  });
});
