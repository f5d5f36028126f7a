/**
 * A dump of the store holds no usable cookie (CONTRACT §2; ASVS 5.0 V3.3.4
 * spirit; the copenhagen book's "store a hash of the token"). Sessions are
 * made over HTTP, then every string in the dump — keys, field names,
 * values, and every token-shaped piece inside them — is tried as a cookie,
 * raw and also signed with the real app secret (an attacker holding both
 * the dump and the secret). None may open a session. Runs on SQLite (the
 * embedded default) and on Redis (skipped, or failed in CI, when Redis is
 * unreachable).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Client } from "cloakroom-sessions/testing";
import { createClient } from "redis";
import { afterAll, expect, it } from "vitest";
import type { SessionStore } from "../../src/core/store.js";
import { signingKeys, signSecret } from "../../src/core/token.js";
import { createStore } from "../../src/stores/create-store.js";
import { createSqliteStore } from "../../src/stores/sqlite/index.js";
import { SECRET, startApp } from "../support/security.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";

/** Makes sessions (anonymous with data, signed-in, remembered), tries the dump, returns what it tried. */
async function attackDump(backing: SessionStore, dump: () => Promise<string[]>): Promise<number> {
  const app = await startApp({ backing });
  try {
    const c = new Client(app.url);
    const issued: string[] = [];
    issued.push((await c.put("/set/cart", ["book", "pen"])).cookie!);
    for (const user of ["alice", "bob"]) {
      const login = await c.post(`/login/${user}`, { headers: { "user-agent": "Dump/1.0" } });
      await c.put("/set/theme", "dark", { cookie: login.cookie });
      issued.push(login.cookie!);
    }
    issued.push((await c.post("/login/carol?remember=30")).cookie!);
    for (const cookie of issued) {
      expect((await c.get("/who", { cookie })).json).toMatchObject({ isNew: false });
    }

    const strings = await dump();
    expect(strings.length).toBeGreaterThan(0);
    const text = strings.join("\n");
    // Neither the tokens nor their random or MAC parts are in the store.
    for (const cookie of issued) {
      const [, secret, mac] = cookie.slice("cloakroom=".length).split(".");
      expect(text).not.toContain(secret);
      expect(text).not.toContain(mac);
    }
    const pieces = new Set<string>(strings);
    for (const s of strings)
      for (const p of s.split(/[^A-Za-z0-9_-]+/)) if (p.length >= 16) pieces.add(p);
    const keys = signingKeys([SECRET]);
    const candidates = new Set<string>();
    for (const p of pieces) {
      candidates.add(p);
      // With the app secret an attacker can sign any 43-character piece: the store key must still not open.
      for (const s of p.match(/[A-Za-z0-9_-]{43}/g) ?? [])
        candidates.add(await signSecret(keys, s));
    }
    for (const candidate of candidates) {
      const r = await c.get("/who", { cookie: `cloakroom=${candidate}` });
      expect(r.json, candidate.slice(0, 60)).toMatchObject({ isNew: true, userId: null });
    }
    return candidates.size;
  } finally {
    await app.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), "cloakroom-dump-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("a SQLite dump (every table, every column) holds no usable cookie", async () => {
  const file = join(dir, "sessions.db");
  const store = await createSqliteStore({ path: file });
  await store.migrate?.();
  try {
    const tried = await attackDump(store, async () => {
      const db = new Database(file, { readonly: true });
      try {
        const out: string[] = [];
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
          name: string;
        }[];
        for (const { name } of tables) {
          for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Record<
            string,
            unknown
          >[]) {
            for (const v of Object.values(row)) if (v !== null) out.push(String(v));
          }
        }
        return out;
      } finally {
        db.close();
      }
    });
    expect(tried).toBeGreaterThan(8);
  } finally {
    await store.close();
  }
});

const redisDown = await probe("redis", async () => {
  const c = createClient({ url: SERVICE_URLS.redis });
  c.on("error", () => {});
  await c.connect();
  try {
    await c.ping();
  } finally {
    c.destroy();
  }
});

describeWithService("redis", redisDown, "store key at rest (redis)", () => {
  it("a Redis dump (every key, field and value under the prefix) holds no usable cookie", async () => {
    const prefix = `sec-dump-${process.pid}-${Date.now()}:`;
    const store = await createStore(
      `${SERVICE_URLS.redis}?keyPrefix=${encodeURIComponent(prefix)}`,
    );
    const redis = createClient({ url: SERVICE_URLS.redis });
    await redis.connect();
    try {
      const tried = await attackDump(store, async () => {
        const out: string[] = [];
        for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) {
          for (const key of batch) {
            out.push(key);
            const type = await redis.type(key);
            if (type === "hash") {
              for (const [f, v] of Object.entries(await redis.hGetAll(key))) out.push(f, v);
            } else if (type === "set") out.push(...(await redis.sMembers(key)));
            else if (type === "zset") out.push(...(await redis.zRange(key, 0, -1)));
            else if (type === "string") out.push((await redis.get(key)) ?? "");
          }
        }
        return out;
      });
      expect(tried).toBeGreaterThan(8);
    } finally {
      for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) {
        if (batch.length > 0) await redis.del(batch);
      }
      redis.destroy();
      await store.close?.();
    }
  });
});
