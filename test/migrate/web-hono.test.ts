/**
 * The takeover is an option of the session manager, so the fetch-style
 * adapter and Hono get it too: an express-session cookie (old store given
 * as a Store instance) signs the user in, the old cookie is cleared, the old
 * record removed. Also the session-file-store layout, through `file:`.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import expressSession from "express-session";
import { Hono } from "hono";
import { afterAll, describe, expect, it } from "vitest";
import { type SessionVariables, session } from "../../src/adapters/hono/index.js";
import { commitSession, loadSession } from "../../src/adapters/web/index.js";
import { createSessions } from "../../src/core/manager.js";
import {
  DEFAULT_USER_KEYS,
  fromExpressSession,
  importSessions,
  openLegacySource,
} from "../../src/migrate/index.js";
import { createStore } from "../../src/stores/create-store.js";
import { NEW_SECRET, OLD_SECRET } from "./apps.js";
import { expressCookie, expressRecord, newSid } from "./old-cookie.js";

function memoryWith(sid: string, data: Record<string, unknown>) {
  const mem = new expressSession.MemoryStore();
  mem.set(sid, JSON.parse(expressRecord(data)));
  return mem;
}

describe("takeover on the web adapters", () => {
  const dir = mkdtempSync(join(tmpdir(), "cloakroom-sfs-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("Hono: signed in, old cookie cleared, old record removed", async () => {
    const sid = newSid();
    const mem = memoryWith(sid, { passport: { user: "hono-user" }, cart: [1] });
    const sessions = createSessions({
      store: await createStore("memory:"),
      secrets: [NEW_SECRET],
      legacy: fromExpressSession({ from: mem, secrets: OLD_SECRET }),
    });
    const app = new Hono<{ Variables: SessionVariables }>();
    app.use(session(sessions));
    app.get("/me", (c) =>
      c.json({ user: c.get("session").userId, cart: c.get("session").get("cart") }),
    );
    const res = await app.request("/me", { headers: { cookie: expressCookie(sid) } });
    expect(await res.json()).toEqual({ user: "hono-user", cart: [1] });
    const cookies = res.headers.getSetCookie();
    expect(cookies.some((c) => c.startsWith("cloakroom=v1."))).toBe(true);
    expect(cookies.some((c) => /^connect\.sid=;.*Max-Age=0/.test(c))).toBe(true);
    expect(await new Promise((r) => mem.get(sid, (_e, s) => r(s ?? null)))).toBeNull();
  });

  it("fetch helpers with a session-file-store folder (file:)", async () => {
    const sid = newSid();
    const text = JSON.stringify({
      ...JSON.parse(expressRecord({ userId: "file-user" })),
      __lastAccess: Date.now(),
    });
    writeFileSync(join(dir, `${sid}.json`), text);
    writeFileSync(join(dir, `${newSid()}.json`), "{broken");
    const legacy = fromExpressSession({ from: `file:${dir}`, secrets: OLD_SECRET });
    const sessions = createSessions({
      store: await createStore("memory:"),
      secrets: [NEW_SECRET],
      legacy,
    });
    const request = new Request("http://localhost/me", { headers: { cookie: expressCookie(sid) } });
    const s = await loadSession(sessions, request);
    expect(s.userId).toBe("file-user");
    expect(s.keys()).toEqual(["userId"]); // __lastAccess and cookie dropped
    const res = await commitSession(sessions, s, new Response("ok"));
    expect(res.headers.getSetCookie().some((c) => c.startsWith("connect.sid=;"))).toBe(true);
    expect(readdirSync(dir)).toHaveLength(1); // taken file removed, the broken one left alone
    await legacy.close();
  });

  it("import reads a session-file-store folder page by page", async () => {
    const folder = mkdtempSync(join(tmpdir(), "cloakroom-sfs-scan-"));
    try {
      for (let i = 0; i < 5; i++)
        writeFileSync(join(folder, `${newSid()}.json`), expressRecord({ userId: `u${i}` }));
      writeFileSync(join(folder, `${newSid()}.json`), "{broken");
      writeFileSync(join(folder, "not-a-session.txt"), "x");
      const source = await openLegacySource(`file:${folder}`, 1000);
      const { counts, cursor } = await importSessions(source, null, {
        format: "express-session",
        userKeys: DEFAULT_USER_KEYS,
        derive: (label) => label,
        idleTimeout: 60_000,
        absoluteTimeout: 3_600_000,
        maxBytes: 65536,
        dryRun: true,
        batchSize: 2,
      });
      expect(cursor).toBeNull();
      expect(counts).toMatchObject({ scanned: 6, imported: 5 });
      expect(counts.skipped.undecodable).toBe(1);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
