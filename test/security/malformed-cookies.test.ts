/**
 * Forged, tampered, unsigned, duplicated, oversized and plain hostile Cookie
 * headers are "no session": a fresh anonymous one, never a 500, never a
 * crash, and nothing that fails the signature ever reaches the store
 * (CONTRACT §2; ASVS 4.0.3 V3.5.3; SM-04; REL-30/31/40/41/46/47; CK-09/10;
 * cookie-signature #40 and tinyhttp GHSA-63x4-8g8c-vhww for the
 * "signed + garbage" class). The basic set (one flipped character,
 * truncation, 10 KB, bad %-escapes, ";;;", "=", prototype names) is in the
 * adapter suite; these are the rest.
 */

import { Client } from "cloakroom-sessions/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  forgeSignedToken,
  OTHER_SECRET,
  rawRequest,
  type SecApp,
  startApp,
} from "../support/security.js";

let app: SecApp;
let client: Client;
/** A valid cookie value (the token) holding `{mine: "yes"}`. */
let valid: string;

beforeAll(async () => {
  app = await startApp();
  client = new Client(app.url);
  const r = await client.put("/set/mine", "yes");
  valid = r.cookie!.slice("cloakroom=".length);
});
afterAll(async () => {
  await app?.close();
});

async function expectAnonymous(cookieHeader: string): Promise<void> {
  const r = await client.get("/who", { cookie: cookieHeader });
  expect(r.status, cookieHeader.slice(0, 80)).toBe(200);
  expect(r.json, cookieHeader.slice(0, 80)).toMatchObject({ userId: null, isNew: true, data: {} });
}

describe("tampered and unsigned tokens", () => {
  it("every tampering of a valid token is refused before the store is asked", async () => {
    const [v, secret, mac] = valid.split(".") as [string, string, string];
    const flip = (s: string, i: number) =>
      s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
    const other = (await forgeSignedToken(OTHER_SECRET)).token;
    const tampered = [
      `${valid}garbage`, // cookie-signature #40: the MAC prefix must not be enough
      `${valid}.garbage`,
      `garbage.${valid}`,
      `${v}.${secret}`, // signature dropped: express-session 1.6.0 "reject missing signatures"
      `${v}.${secret}.`,
      secret, // the bare random part
      `${v}.${flip(secret, 0)}.${mac}`,
      `${v}.${secret}.${flip(mac, 0)}`,
      `v2.${secret}.${mac}`,
      `V1.${secret}.${mac}`,
      `${v}.${secret.toLowerCase()}.${mac}`, // REL-47: no case folding anywhere
      `${v}.${secret}.${mac.toUpperCase()}`,
      `${v}.${mac}.${secret}`,
      other, // well-formed, signed by another app's secret
    ];
    app.store.resetCounts();
    for (const t of tampered) await expectAnonymous(`cloakroom=${t}`);
    expect(app.store.calls.get).toBe(0);
  });

  it("ID-shaped attacks on the store are refused before any store call (SM-04, REL-46)", async () => {
    const hostile = [
      "../../etc/passwd",
      "..%2f..%2fetc%2fpasswd",
      "%2e%2e%2f",
      "/abs",
      "con",
      "nul",
      "' OR 1=1--",
      "a%0D%0Aset x 0 0 1",
      "a%0D%0Aflush_all",
      "*",
      "v1.*.*",
      "x".repeat(300),
    ];
    app.store.resetCounts();
    for (const h of hostile) await expectAnonymous(`cloakroom=${h}`);
    expect(app.store.calls.get).toBe(0);
  });
});

describe("duplicated cookies (REL-41, CK-10)", () => {
  it("policy: the first cookie of the name counts, in either order, never a mix of identities", async () => {
    const alice = (await client.post("/login/alice")).cookie!.slice("cloakroom=".length);
    const bob = (await client.post("/login/bob")).cookie!.slice("cloakroom=".length);
    const who = async (h: string) =>
      ((await client.get("/who", { cookie: h })).json as { userId: string | null }).userId;
    expect(await who(`cloakroom=${alice}; cloakroom=${bob}`)).toBe("alice");
    expect(await who(`cloakroom=${bob}; cloakroom=${alice}`)).toBe("bob");
    // An invalid first cookie is no session: the second is not tried (jshttp/cookie first-wins).
    await expectAnonymous(`cloakroom=junk; cloakroom=${alice}`);
    expect(await who(`cloakroom=${alice}; cloakroom=junk`)).toBe("alice");
    // Same answer every time: deterministic, not racy.
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => who(`cloakroom=${bob}; cloakroom=${alice}`)),
    );
    expect(new Set(answers)).toEqual(new Set(["bob"]));
  });
});

describe("raw Cookie headers", () => {
  const get = (cookieLines: string[]) =>
    rawRequest(
      app.url,
      ["GET /who HTTP/1.1", ...cookieLines.map((l) => `Cookie: ${l}`)].join("\r\n"),
    );

  it("two Cookie header lines are one cookie list: the session in the second line is found (CK-09)", async () => {
    const r = await get(["theme=dark", `cloakroom=${valid}`]);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ data: { mine: "yes" } });
  });

  it("control bytes, NUL, latin-1 and UTF-8 bytes, stray whitespace: anonymous, never a 500 (REL-40)", async () => {
    const values = [
      `cloakroom=${valid}\u0000`,
      `cloakroom=\u0000${valid}`,
      `cloakroom=${valid.slice(0, 10)}\u00e9\u00ff${valid.slice(12)}`,
      `cloakroom=${Buffer.from("välue✓", "utf8").toString("latin1")}`,
      "cloakroom=\u0001\u0002\u007f",
      `cloakroom= ${valid.slice(1)}`,
      "cloakroom==x",
      "",
    ];
    for (const v of values) {
      const r = await get([v]);
      // Node may refuse a header byte itself (400); the app must never answer 500 or crash.
      expect([200, 400], JSON.stringify(v).slice(0, 60)).toContain(r.status);
      if (r.status === 200) {
        expect(JSON.parse(r.body), JSON.stringify(v).slice(0, 60)).toMatchObject({ isNew: true });
      }
    }
    expect((await client.get("/peek")).status).toBe(200);
  });

  it("huge Cookie headers (16 KB, 64 KB, 1 MB) are refused fast, no store call, no crash (REL-30)", async () => {
    app.store.resetCounts();
    for (const size of [16 * 1024, 64 * 1024, 1024 * 1024]) {
      const started = performance.now();
      const r = await get([`cloakroom=${valid}; pad=${"p".repeat(size)}`]);
      expect(r.status, `${size} bytes`).toBe(431);
      expect(performance.now() - started).toBeLessThan(2000);
    }
    expect(app.store.calls.get).toBe(0);
    expect((await client.get("/who", { cookie: `cloakroom=${valid}` })).json).toMatchObject({
      data: { mine: "yes" },
    });
  });

  it("thousands of cookie pairs or 200 Cookie lines: bounded time, session still found or ignored, never a 500 (REL-31)", async () => {
    const pairs = Array.from({ length: 1500 }, (_, i) => `k${i}=v`).join("; ");
    const started = performance.now();
    const many = await get([`${pairs}; cloakroom=${valid}`]);
    expect([200, 431]).toContain(many.status);
    const lines = await get([
      ...Array.from({ length: 200 }, (_, i) => `a${i}=b`),
      `cloakroom=${valid}`,
    ]);
    expect([200, 431]).toContain(lines.status);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
