/**
 * One real Chromium across the switch: signed in on the express-session app,
 * the process restarts on Cloakroom (same port), and the browser is still
 * signed in with its cart, holds a Cloakroom cookie and no connect.sid, and
 * the old record is gone.
 */
import { randomBytes } from "node:crypto";
import { RedisStore } from "connect-redis";
import type { Browser } from "playwright-core";
import { createClient } from "redis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { fromExpressSession } from "../../src/migrate/index.js";
import { createStore } from "../../src/stores/create-store.js";
import { chromiumUnavailable, launchChromium } from "../support/browser.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";
import { NEW_SECRET, newExpressApp, OLD_SECRET, oldExpressApp } from "./apps.js";

const redisDown = await probe("redis", async () => {
  const c = createClient({ url: SERVICE_URLS.redis });
  await c.connect();
  await c.ping();
  c.destroy();
});
const unavailable = redisDown ?? (await chromiumUnavailable());

describeWithService("chromium+redis", unavailable, "Chromium across the switch", () => {
  const prefix = `migw-${randomBytes(4).toString("hex")}:`;
  const redis = createClient({ url: SERVICE_URLS.redis });
  let browser: Browser;

  beforeAll(async () => {
    await redis.connect();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    for (const k of await redis.keys(`${prefix}*`)) await redis.del(k);
    redis.destroy();
  });

  it("stays signed in with its data when express-session is replaced by Cloakroom", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const old = await oldExpressApp(new RedisStore({ client: redis, prefix }));
    const port = Number(new URL(old.url).port);
    await page.goto(`${old.url}/login-form`);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${old.url}/login/ada`);
    await page.goto(`${old.url}/me`);
    expect(JSON.parse((await page.textContent("body"))!)).toEqual({
      user: "ada",
      cart: ["apple", "ada"],
    });
    const before = await context.cookies();
    expect(before.map((c) => c.name)).toEqual(["connect.sid"]);
    expect(await redis.keys(`${prefix}*`)).toHaveLength(1);
    await old.close();

    // The same process, restarted on Cloakroom, on the same port.
    const store = await createStore("memory:");
    const legacy = fromExpressSession({
      from: `${SERVICE_URLS.redis}?prefix=${prefix}`,
      secrets: OLD_SECRET,
    });
    const app = await newExpressApp({ store, secrets: [NEW_SECRET], legacy }, port);
    try {
      await page.goto(`${app.url}/me`);
      expect(JSON.parse((await page.textContent("body"))!)).toEqual({
        user: "ada",
        cart: ["apple", "ada"],
        theme: "dark",
      });
      const after = await context.cookies();
      expect(after.map((c) => c.name)).toEqual(["cloakroom"]);
      expect(after[0]!.httpOnly).toBe(true);
      expect(await redis.keys(`${prefix}*`)).toHaveLength(0);
      await page.reload();
      expect(JSON.parse((await page.textContent("body"))!).user).toBe("ada");
    } finally {
      await context.close();
      await app.close();
      await legacy.close();
      await store.close?.();
    }
  }, 60_000);
});
