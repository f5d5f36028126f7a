/**
 * Prototype pollution and special keys (ASVS 5.0 V15.3.6, REL-45): JSON
 * bodies stored into the session, prototype-named session keys, a poisoned
 * record planted straight into the store, keys named like Session methods,
 * and prototype-named cookies. The server runs in this process, so the test
 * sees `Object.prototype` itself. (express-session 1.8.1, cookie-session
 * 2.1.0, jshttp/cookie #177, TencentRdmCi/session-memory-store PR #3.)
 */

import { Client } from "cloakroom-sessions/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { forgeSignedToken, type SecApp, startApp } from "../support/security.js";

let app: SecApp;
let client: Client;
beforeAll(async () => {
  app = await startApp({
    routes: (a) => {
      a.get("/probe", (req, res) => {
        const profile = req.session.get("profile") as Record<string, unknown> | undefined;
        res.json({
          prototypeClean: (Object.prototype as Record<string, unknown>).isAdmin === undefined,
          profileIsAdmin: profile?.isAdmin ?? null,
          profileProtoOk:
            profile === undefined ||
            [Object.prototype, null].includes(Object.getPrototypeOf(profile)),
          methodsIntact: ["get", "set", "save", "regenerate", "destroy", "toJSON"].every(
            (m) => typeof (req.session as unknown as Record<string, unknown>)[m] === "function",
          ),
          data: req.session.toJSON(),
        });
      });
    },
  });
  client = new Client(app.url);
});
afterAll(async () => {
  await app?.close();
});
afterEach(() => {
  // The property under test, after every single case.
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

const put = (key: string, rawJson: string, cookie?: string) =>
  fetch(`${app.url}/set/${encodeURIComponent(key)}`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) },
    body: rawJson,
  });

describe("prototype pollution through session data", () => {
  it("a JSON body with __proto__ is refused (400), nothing is stored, nothing polluted", async () => {
    const { cookie } = await client.put("/set/keep", "k");
    for (const body of [
      '{"value":{"__proto__":{"isAdmin":true}}}',
      '{"value":{"name":"x","nested":{"__proto__":{"polluted":1}}}}',
      '{"value":[{"__proto__":{"isAdmin":true}}]}',
    ]) {
      const r = await put("profile", body, cookie);
      expect(r.status, body).toBe(400);
    }
    const probe = await client.get("/probe", { cookie });
    expect(probe.json).toMatchObject({
      prototypeClean: true,
      profileIsAdmin: null,
      data: { keep: "k" },
    });
    expect((probe.json as { data: object }).data).not.toHaveProperty("profile");
  });

  it("constructor and prototype inside values are plain data", async () => {
    const r = await put(
      "profile",
      '{"value":{"constructor":{"prototype":{"isAdmin":true}},"n":1}}',
    );
    expect(r.status).toBe(204);
    const cookie = r.headers.getSetCookie()[0]!.split(";", 1)[0]!;
    const probe = await client.get("/probe", { cookie });
    expect(probe.json).toMatchObject({
      prototypeClean: true,
      profileIsAdmin: null,
      profileProtoOk: true,
      data: { profile: { constructor: { prototype: { isAdmin: true } }, n: 1 } },
    });
  });

  it("__proto__, constructor and prototype as session keys: 400, the session unchanged", async () => {
    const { cookie } = await client.put("/set/keep", "k");
    for (const key of ["__proto__", "constructor", "prototype"]) {
      const r = await put(key, '{"value":{"isAdmin":true}}', cookie);
      expect(r.status, key).toBe(400);
    }
    expect((await client.get("/probe", { cookie })).json).toMatchObject({
      prototypeClean: true,
      data: { keep: "k" },
    });
  });

  it("keys named like Session methods are data; the methods still work on the next request", async () => {
    const names = [
      "save",
      "regenerate",
      "destroy",
      "get",
      "set",
      "toJSON",
      "hasOwnProperty",
      "valueOf",
    ];
    let cookie: string | undefined;
    for (const name of names) {
      const r = await client.put(`/set/${name}`, `as-${name}`, { cookie });
      expect(r.status, name).toBe(204);
      cookie = r.cookie ?? cookie;
    }
    const probe = await client.get("/probe", { cookie });
    expect(probe.json).toMatchObject({ methodsIntact: true, prototypeClean: true });
    expect((probe.json as { data: Record<string, string> }).data).toEqual(
      Object.fromEntries(names.map((n) => [n, `as-${n}`])),
    );
    expect((await client.post("/regenerate", { cookie })).status).toBe(204);
  });
});

describe("a poisoned record written straight into the store", () => {
  it("loads without a crash, without pollution, and without a privilege", async () => {
    const { token, key } = await forgeSignedToken();
    const now = app.clock.now();
    await app.store.inner.create(key, {
      data: {
        profile: '{"__proto__":{"isAdmin":true},"name":"mallory"}',
        // A field literally named __proto__, as a hostile store row could hold.
        ["__proto__" as string]: '{"isAdmin":true}',
        broken: '{"unterminated',
      },
      userId: null,
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: now + 60_000,
      absoluteExpiresAt: now + 120_000,
      ip: null,
      userAgent: null,
    });
    const probe = await client.get("/probe", { cookie: `cloakroom=${token}` });
    expect(probe.status).toBe(200);
    expect(probe.json).toMatchObject({
      prototypeClean: true,
      profileIsAdmin: null,
      profileProtoOk: true,
      methodsIntact: true,
    });
    expect((probe.json as { data: Record<string, unknown> }).data.profile).toEqual({
      name: "mallory",
    });
  });
});

describe("prototype-named cookies (jshttp/cookie #177)", () => {
  it("do not break parsing: the session next to them is found", async () => {
    const { cookie } = await client.put("/set/keep", "k");
    for (const junk of [
      "__proto__=1",
      "constructor=2",
      "hasOwnProperty=3",
      "toString=4",
      "valueOf=5",
    ]) {
      for (const header of [`${junk}; ${cookie}`, `${cookie}; ${junk}`]) {
        const r = await client.get("/probe", { cookie: header });
        expect(r.status, header).toBe(200);
        expect(r.json, header).toMatchObject({ data: { keep: "k" } });
      }
    }
  });
});
