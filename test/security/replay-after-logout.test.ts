/**
 * Replay after logout and revocation: once a session is ended, a copy of its
 * cookie (the back button, a stolen cookie, a second tab) opens nothing, on
 * any route, and the record is gone from the store itself (ASVS 4.0.3
 * V3.3.1, ASVS 5.0 V7.4.1, V7.4.5, SM-09, CK-12; the iron-session and
 * aiohttp-session #325 lesson). Black-box against the demo as `npm start`
 * runs it (SQLite sessions), with the store opened beside it for the
 * store-level check; plus the slow-request race (REL-11, session-file-store
 * PR #55) and logout-all racing in-flight writes (REL-12) over the Express
 * adapter, where the test can hold requests open.
 */
import { join } from "node:path";
import { Client } from "cloakroom-sessions/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionStore } from "../../src/core/store.js";
import { createSqliteStore } from "../../src/stores/sqlite/index.js";
import {
  ADMIN,
  DemoClient,
  type DemoServer,
  startDemo,
  uniqueName,
} from "../support/demo-server.js";
import { keyOfToken, startApp } from "../support/security.js";

let demo: DemoServer;
let store: SessionStore;
beforeAll(async () => {
  demo = await startDemo();
  store = await createSqliteStore({ path: join(demo.dataDir, "sessions.db") });
});
afterAll(async () => {
  await store?.close?.();
  await demo?.stop(true);
});

const token = (c: DemoClient) => c.jar.get("cloakroom")!;
const inStore = async (t: string) => (await store.get(await keyOfToken(t), Date.now())) !== null;

async function member() {
  const c = new DemoClient(demo.url);
  const username = uniqueName("r");
  const password = `pw-${username}-long-enough`;
  expect((await c.register(username, password)).status).toBe(303);
  return { c, username, password };
}

/** The stolen copy opens nothing: reads are 401, state changes 401 or 403, even with the old CSRF token. */
async function expectDead(copy: DemoClient, oldCsrf: string, t: string): Promise<void> {
  expect((await copy.get("/api/me")).status).toBe(401);
  expect((await copy.get("/api/sessions")).status).toBe(401);
  const post = await copy.request("POST", "/logout-all", { form: { _csrf: oldCsrf } });
  expect([401, 403]).toContain(post.status);
  const put = await copy.request("PUT", "/api/session/x", {
    json: 1,
    headers: { "x-csrf-token": oldCsrf },
  });
  expect(put.status).toBe(403);
  expect(await inStore(t)).toBe(false);
}

describe("replay after the session ended (demo, SQLite)", () => {
  it("logout: the cookie is cleared, and a copy of it opens nothing", async () => {
    const { c } = await member();
    const copy = c.clone();
    const t = token(c);
    const csrf = await c.csrf();
    expect(await inStore(t)).toBe(true);
    const out = await c.post("/logout");
    expect(out.status).toBe(303);
    const clear = out.setCookies.find((l) => l.startsWith("cloakroom="));
    expect(clear).toMatch(/^cloakroom=;/);
    expect(clear).toMatch(/Max-Age=0/);
    expect(clear).toMatch(/Path=\//);
    await expectDead(copy, csrf, t);
  });

  it("logout-all: every copy of every session of the user opens nothing", async () => {
    const { c, username, password } = await member();
    const second = new DemoClient(demo.url);
    expect((await second.login(username, password)).status).toBe(303);
    const copies = [c.clone(), second.clone()];
    const tokens = [token(c), token(second)];
    const csrf = await second.csrf();
    expect((await c.post("/logout-all")).status).toBe(303);
    for (const [i, copy] of copies.entries()) await expectDead(copy, csrf, tokens[i]!);
  });

  it("revoking one device by its handle kills that device only", async () => {
    const { c, username, password } = await member();
    const phone = new DemoClient(demo.url);
    await phone.login(username, password);
    const list = (await c.get("/api/sessions")).json<{
      sessions: { id: string; current: boolean }[];
    }>();
    const other = list.sessions.find((s) => !s.current)!;
    const phoneCsrf = await phone.csrf();
    const phoneToken = token(phone);
    expect((await c.post(`/sessions/${other.id}/revoke`)).status).toBe(303);
    await expectDead(phone.clone(), phoneCsrf, phoneToken);
    expect((await c.get("/api/me")).status).toBe(200);
  });

  it("an admin's forced logout kills every session of that user at their next request", async () => {
    const { c, username } = await member();
    const csrf = await c.csrf();
    const t = token(c);
    const admin = new DemoClient(demo.url);
    expect((await admin.login(ADMIN.username, ADMIN.password)).status).toBe(303);
    expect((await admin.post(`/admin/users/${username}/revoke`)).status).toBeLessThan(400);
    await expectDead(c.clone(), csrf, t);
    expect((await admin.get("/api/me")).status).toBe(200);
  });
});

describe("logout-all racing in-flight requests (REL-12, Express adapter)", () => {
  it("sessions existing before the revocation stay dead whatever their in-flight writes do; a login after it lives", async () => {
    const app = await startApp({
      routes: (a) => {
        a.post("/revoke-all", async (req, res) => {
          res.json({ count: await req.sessions.revokeUserSessions(req.session.userId!) });
        });
      },
    });
    try {
      const c = new Client(app.url);
      const sessions = await Promise.all(
        Array.from({ length: 4 }, () => c.post("/login/alice").then((r) => r.cookie!)),
      );
      const inFlight = sessions.flatMap((cookie, i) =>
        Array.from({ length: 5 }, (_, j) => c.put(`/set/k${i}-${j}`, j, { cookie })),
      );
      const revoke = c.post("/revoke-all", { cookie: sessions[0] });
      const replies = await Promise.all([revoke, ...inFlight]);
      for (const r of replies) expect(r.status).toBeLessThan(500);
      expect((await revoke).json).toMatchObject({ count: 4 });
      for (const cookie of sessions) {
        expect((await c.get("/who", { cookie })).json).toMatchObject({ userId: null, isNew: true });
      }
      const after = await c.post("/login/alice");
      expect((await c.get("/who", { cookie: after.cookie })).json).toMatchObject({
        userId: "alice",
      });
      expect(await app.store.inner.listByUser("alice", app.clock.now())).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});

describe("a slow request finishing after logout (REL-11, Express adapter)", () => {
  it("does not bring the session back, nor write its late change", async () => {
    let entered!: () => void;
    const inside = new Promise<void>((r) => {
      entered = r;
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const app = await startApp({
      routes: (a) => {
        a.post("/slow", async (req, res) => {
          req.session.get("cart");
          entered();
          await gate;
          req.session.set("late", true);
          res.status(204).end();
        });
      },
    });
    try {
      const c = new Client(app.url);
      const { cookie } = await c.post("/login/alice");
      const slow = c.post("/slow", { cookie });
      await inside;
      expect((await c.post("/logout", { cookie })).status).toBe(204);
      release();
      const late = await slow;
      expect(late.status).toBeLessThan(500);
      expect((await c.get("/who", { cookie })).json).toMatchObject({ userId: null, isNew: true });
      expect(
        await app.store.inner.get(await keyOfToken(cookie!.slice(10)), app.clock.now()),
      ).toBeNull();
      expect(await app.store.inner.listByUser("alice", app.clock.now())).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
