/**
 * Idle and absolute timeouts are enforced by the server on every read, with
 * a fake clock (the manager's `now`), over HTTP through the Express adapter,
 * on SQLite with no reaper running: ASVS 4.0.3 V3.3.1–3.3.2, ASVS 5.0
 * V7.1.1, V7.3.1–7.3.2, SM-08, CK-08, REL-23. Sliding renewal never passes
 * the absolute deadline (connect-redis `touch`), and an expired record is
 * neither honoured nor kept (@fastify/session GHSA-pj27-2xvp-4qxg).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attributes, Client } from "cloakroom-sessions/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createSessions } from "../../src/core/manager.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { createSqliteStore } from "../../src/stores/sqlite/index.js";
import { keyOfToken, SECRET, type SecApp, startApp } from "../support/security.js";

const MIN = 60_000;
const dir = mkdtempSync(join(tmpdir(), "cloakroom-expiry-"));
let app: SecApp;
let client: Client;

beforeAll(async () => {
  const backing = await createSqliteStore({ path: join(dir, "sessions.db") });
  await backing.migrate?.();
  app = await startApp({ backing, idleTimeout: "30m", absoluteTimeout: "2h" });
  client = new Client(app.url);
});
afterAll(async () => {
  await app?.close();
  await app?.store.close();
  rmSync(dir, { recursive: true, force: true });
});

const who = async (cookie: string | undefined) =>
  (await client.get("/who", { cookie })).json as { userId: string | null; isNew: boolean };
const stored = async (cookie: string) =>
  app.store.inner.get(await keyOfToken(cookie.slice("cloakroom=".length)), 0);

describe("server-side expiry", () => {
  it("defaults are 30 min idle and 12 h absolute, the ASVS level 2 values (ASVS 5.0 V7.1.1)", () => {
    const m = createSessions({ store: new MemoryStore({ sweepInterval: 0 }), secrets: [SECRET] });
    expect(m.options.idleTimeout).toBe(30 * MIN);
    expect(m.options.absoluteTimeout).toBe(12 * 60 * MIN);
  });

  it("idle: alive just under the timeout, gone just over it; the record is deleted and the cookie cleared (REL-23)", async () => {
    const { cookie } = await client.post("/login/alice");
    app.clock.advance(30 * MIN - 1);
    expect(await who(cookie)).toMatchObject({ userId: "alice" });
    // That request slid the idle deadline; now stay away for the whole timeout.
    app.clock.advance(30 * MIN);
    const late = await client.get("/who", { cookie });
    expect(late.json).toMatchObject({ userId: null, isNew: true });
    expect(attributes(late.sessionSetCookie!).get("max-age")).toBe("0");
    // Nothing swept it: the read found it expired and removed it (no reaper is running here).
    await vi.waitFor(async () => expect(await stored(cookie!)).toBeNull());
    // Replaying the cookie later, as a client that ignores Max-Age=0 would: still nothing.
    expect(await who(cookie)).toMatchObject({ userId: null, isNew: true });
  });

  it("absolute: a request every 20 min keeps it alive only until the absolute deadline (ASVS 5.0 V7.3.2)", async () => {
    const { cookie } = await client.post("/login/bob");
    let elapsed = 0;
    while (elapsed + 20 * MIN < 2 * 60 * MIN) {
      app.clock.advance(20 * MIN);
      elapsed += 20 * MIN;
      expect(await who(cookie), `at ${elapsed / MIN} min`).toMatchObject({ userId: "bob" });
      // A write between the reads: activity of every kind, not only reads.
      await client.put("/set/seen", elapsed, { cookie });
    }
    app.clock.advance(2 * 60 * MIN - elapsed);
    expect(await who(cookie)).toMatchObject({ userId: null, isNew: true });
    await vi.waitFor(async () => expect(await stored(cookie!)).toBeNull());
  });

  it("a persistent cookie's Max-Age is the client's business: the server still ends the session at its deadline (CK-08, SM-08)", async () => {
    const r = await client.post("/login/carol?remember=1");
    expect(Number(attributes(r.sessionSetCookie!).get("max-age"))).toBe(86_400);
    // Keep it busy past one day; the idle deadline never passes the absolute one.
    for (let h = 0; h < 24; h += 0.25) {
      app.clock.advance(15 * MIN);
      const alive = await who(r.cookie);
      if (h + 0.25 < 24) expect(alive, `after ${h + 0.25} h`).toMatchObject({ userId: "carol" });
      else expect(alive).toMatchObject({ userId: null, isNew: true });
    }
  });

  it("re-issued cookies after idle sliding never extend the absolute deadline in the store", async () => {
    const { cookie } = await client.post("/login/dave");
    const before = await stored(cookie!);
    app.clock.advance(25 * MIN);
    await who(cookie);
    const after = await stored(cookie!);
    expect(after!.absoluteExpiresAt).toBe(before!.absoluteExpiresAt);
    expect(after!.idleExpiresAt).toBeGreaterThan(before!.idleExpiresAt);
    expect(after!.idleExpiresAt).toBeLessThanOrEqual(after!.absoluteExpiresAt);
  });
});
