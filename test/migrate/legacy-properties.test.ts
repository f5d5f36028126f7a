/**
 * `legacyProperties: true`: express-session style handlers keep working
 * unported — assignment, in-place mutation, delete, callback forms — and
 * Cloakroom still writes only the top-level keys whose JSON changed, so two
 * concurrent requests changing different keys both keep their change.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { InstrumentedStore } from "cloakroom-sessions/testing";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { session } from "../../src/adapters/express/index.js";
import type { SessionPatch, SessionStore } from "../../src/core/store.js";
import { createStore } from "../../src/stores/create-store.js";
import { CookieJar, NEW_SECRET } from "./apps.js";

type Legacy = Record<string, unknown> & {
  regenerate(cb: (err?: unknown) => void): void;
  save(cb: (err?: unknown) => void): void;
  destroy(cb: (err?: unknown) => void): void;
  touch(): void;
};

describe("legacyProperties on Express", () => {
  let store: InstrumentedStore;
  const patches: SessionPatch[] = [];
  let url: string;
  let server: import("node:http").Server;
  let gate: { arrived: number; open: () => void; opened: Promise<void> } | null = null;

  beforeAll(async () => {
    store = new InstrumentedStore((await createStore("memory:")) as SessionStore);
    const patch = store.patch;
    store.patch = (key, p, now) => {
      patches.push(p);
      return patch(key, p, now);
    };
    const app = express();
    app.use(session({ store, secrets: [NEW_SECRET], legacyProperties: true }));
    const s = (req: express.Request) => req.session as unknown as Legacy;
    app.post("/login", (req, res) => {
      s(req).regenerate((err) => {
        if (err) throw err;
        s(req).user = { name: "ada" };
        s(req).cart = ["apple"];
        s(req).theme = "dark";
        s(req).save(() => res.json({ ok: true }));
      });
    });
    app.post("/push/:item", async (req, res) => {
      const cart = s(req).cart as string[];
      void s(req).theme; // read, not changed: must not be written
      if (gate) {
        gate.arrived++;
        if (gate.arrived === 2) gate.open();
        await gate.opened;
      }
      cart.push(req.params.item);
      s(req).touch();
      res.json({ cart });
    });
    app.post("/theme/:t", async (req, res) => {
      void (s(req).cart as string[]).length;
      if (gate) {
        gate.arrived++;
        if (gate.arrived === 2) gate.open();
        await gate.opened;
      }
      s(req).theme = req.params.t;
      res.json({ ok: true });
    });
    app.post("/forget", (req, res) => {
      delete s(req).theme;
      res.json({ keys: Object.keys(s(req)).sort(), json: JSON.parse(JSON.stringify(s(req))) });
    });
    app.post("/logout", (req, res) => {
      s(req).destroy(() => res.json({ ok: true }));
    });
    app.get("/me", (req, res) => {
      res.json({
        user: s(req).user ?? null,
        cart: s(req).cart ?? null,
        theme: s(req).theme ?? null,
      });
    });
    server = createServer(app).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it("assignment, push, delete and the callback forms work, writing only changed keys", async () => {
    const jar = new CookieJar();
    expect((await jar.fetch(`${url}/login`, { method: "POST" })).status).toBe(200);
    expect(jar.cookies.has("cloakroom")).toBe(true);
    expect(await (await jar.fetch(`${url}/me`)).json()).toEqual({
      user: { name: "ada" },
      cart: ["apple"],
      theme: "dark",
    });
    patches.length = 0;
    store.resetCounts();
    await jar.fetch(`${url}/me`);
    expect(store.calls.patch).toBe(0); // reading writes nothing
    await jar.fetch(`${url}/push/pear`, { method: "POST" });
    expect(patches).toHaveLength(1);
    expect(patches[0]!.set).toEqual({ cart: '["apple","pear"]' });
    expect(patches[0]!.unset).toEqual([]);
    const forgot = await (await jar.fetch(`${url}/forget`, { method: "POST" })).json();
    expect(forgot.keys).toEqual(["cart", "user"]);
    expect(forgot.json).toEqual({ cart: ["apple", "pear"], user: { name: "ada" } });
    expect(patches[1]!.unset).toEqual(["theme"]);
    expect(await (await jar.fetch(`${url}/me`)).json()).toMatchObject({ theme: null });
    const out = await jar.fetch(`${url}/logout`, { method: "POST" });
    expect(out.status).toBe(200);
    expect(jar.cookies.has("cloakroom")).toBe(false);
  });

  it("two concurrent requests changing different keys both keep their change", async () => {
    const jar = new CookieJar();
    await jar.fetch(`${url}/login`, { method: "POST" });
    let open!: () => void;
    const opened = new Promise<void>((r) => {
      open = r;
    });
    gate = { arrived: 0, open, opened };
    try {
      // Both handlers have read the whole session before either writes.
      await Promise.all([
        jar.clone().fetch(`${url}/push/fig`, { method: "POST" }),
        jar.clone().fetch(`${url}/theme/light`, { method: "POST" }),
      ]);
    } finally {
      gate = null;
    }
    expect(await (await jar.fetch(`${url}/me`)).json()).toEqual({
      user: { name: "ada" },
      cart: ["apple", "fig"],
      theme: "light",
    });
  });
});
