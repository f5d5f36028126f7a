/**
 * Session fixation (CWE-384): the server never adopts a token it did not
 * issue, and every privilege change gives a new token with the old one dead
 * at once, in the store and not only in the browser. ASVS 4.0.3 V3.2.1,
 * ASVS 5.0 V7.2.4, SM-03/05/06, CK-15; the regressions it guards against are
 * @fastify/passport GHSA-4m3m-ppvx-xgw9, passport GHSA-v923-w3x8-wh69,
 * @fastify/session #348 (regenerate left the old ID valid) and
 * Flask-Session #76 (a store miss reused the client's sid).
 */

import { Client } from "cloakroom-sessions/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgeSignedToken, keyOfToken, type SecApp, startApp } from "../support/security.js";

let app: SecApp;
let client: Client;
beforeAll(async () => {
  app = await startApp();
  client = new Client(app.url);
});
afterAll(async () => {
  await app?.close();
});

const tokenOf = (cookie: string | undefined) => cookie!.slice("cloakroom=".length);
const inStore = async (token: string) =>
  (await app.store.inner.get(await keyOfToken(token), app.clock.now())) !== null;

describe("strict mode: a token the server never issued is never adopted (SM-03)", () => {
  it("a correctly signed, never-issued token gives an anonymous session, and a write mints a different one", async () => {
    // The attacker knows the app secret here: the strongest case. Without it the token fails the signature.
    const forged = await forgeSignedToken();
    const read = await client.get("/who", { cookie: `cloakroom=${forged.token}` });
    expect(read.json).toMatchObject({ isNew: true, userId: null });
    const write = await client.put("/set/cart", ["book"], { cookie: `cloakroom=${forged.token}` });
    expect(write.status).toBe(204);
    expect(tokenOf(write.cookie)).not.toBe(forged.token);
    expect(await app.store.inner.get(forged.key, app.clock.now())).toBeNull();
  });

  it("logging in while carrying the planted token signs in under a new token only", async () => {
    const forged = await forgeSignedToken();
    const login = await client.post("/login/alice", { cookie: `cloakroom=${forged.token}` });
    const issued = tokenOf(login.cookie);
    expect(issued).not.toBe(forged.token);
    expect(await app.store.inner.get(forged.key, app.clock.now())).toBeNull();
    expect((await client.get("/who", { cookie: `cloakroom=${forged.token}` })).json).toMatchObject({
      userId: null,
    });
    expect((await client.get("/who", { cookie: login.cookie })).json).toMatchObject({
      userId: "alice",
    });
  });
});

describe("a new token at every privilege change, the old one dead in the store (ASVS 4.0.3 V3.2.1, ASVS 5.0 V7.2.4)", () => {
  it("anonymous → alice → bob → anonymous: four tokens, only the last alive", async () => {
    const pre = await client.put("/set/cart", ["book"]);
    const asAlice = await client.post("/login/alice", { cookie: pre.cookie });
    // Re-authentication as someone else while signed in (ASVS 5.0 V7.2.4 "including re-authentication").
    const asBob = await client.post("/login/bob", { cookie: asAlice.cookie });
    const regen = await client.post("/regenerate", { cookie: asBob.cookie });
    const tokens = [pre, asAlice, asBob, regen].map((r) => tokenOf(r.cookie));
    expect(new Set(tokens).size).toBe(4);
    for (const dead of tokens.slice(0, 3)) {
      expect(await inStore(dead)).toBe(false);
      expect((await client.get("/who", { cookie: `cloakroom=${dead}` })).json).toMatchObject({
        isNew: true,
        userId: null,
      });
    }
    expect((await client.get("/who", { cookie: regen.cookie })).json).toMatchObject({
      userId: "bob",
      // Data carried by the core's setUser; cloakroom-sessions/auth's login keeps only `keepOnLogin` keys (auth.login test).
      data: { cart: ["book"] },
    });
  });

  it("requests in flight with the old token during login never bring it back (REL-14)", async () => {
    const pre = await client.put("/set/n", 0);
    const racing = [
      ...Array.from({ length: 5 }, (_, i) => client.put(`/set/k${i}`, i, { cookie: pre.cookie })),
      ...Array.from({ length: 5 }, () => client.get("/who", { cookie: pre.cookie })),
    ];
    const login = client.post("/login/carol", { cookie: pre.cookie });
    const results = await Promise.all([login, ...racing]);
    for (const r of results) expect(r.status).toBeLessThan(500);
    expect(await inStore(tokenOf(pre.cookie))).toBe(false);
    expect((await client.get("/who", { cookie: pre.cookie })).json).toMatchObject({
      isNew: true,
      userId: null,
    });
    expect((await client.get("/who", { cookie: (await login).cookie })).json).toMatchObject({
      userId: "carol",
    });
  });

  it("tokens of consecutive logins share no prefix or counter, and carry no user name or time (SM-02)", async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 20; i++) tokens.push(tokenOf((await client.post("/login/alice")).cookie));
    const randomParts = tokens.map((t) => t.split(".")[1]!);
    for (let i = 1; i < randomParts.length; i++) {
      // Two 256-bit random strings share their first 4 characters with probability 2^-24.
      expect(randomParts[i]!.slice(0, 4)).not.toBe(randomParts[i - 1]!.slice(0, 4));
    }
    const now = String(Math.floor(app.clock.now() / 1000)).slice(0, 6);
    for (const t of tokens) {
      const decoded = Buffer.from(t.split(".")[1]!, "base64url").toString("latin1");
      expect(decoded).not.toContain("alice");
      expect(t).not.toContain(now);
    }
  });
});
