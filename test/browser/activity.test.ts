/**
 * The admin activity page in real Chromium, on a laptop and on a phone: the
 * two inline SVG charts render with bars for this minute's sessions, fit the
 * phone's width without sideways scrolling, and hold no script. Its
 * screenshots go to test-results/screenshots/ (activity.png,
 * activity-phone.png); docs/demo.md says how to copy them into the docs, so a
 * test run never changes the committed tree.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  chromiumUnavailable,
  DemoBrowser,
  launchChromium,
  login,
  pathOf,
  register,
  screenshot,
} from "../support/browser.js";
import { ADMIN, type DemoServer, startDemo } from "../support/demo-server.js";
import { describeWithService } from "../support/services.js";

const unavailable = await chromiumUnavailable();

describeWithService("chromium", unavailable, "activity page in a real browser", () => {
  let demo: DemoServer;
  let browser: Browser;
  let b: DemoBrowser;

  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemo(), launchChromium()]);
    b = new DemoBrowser(browser, demo.url);
    // Some traffic for the charts: three users register (created), one logs out (ended).
    for (const name of ["grace", "linus", "barbara"]) {
      const p = await b.newPage();
      await register(p, name, `${name}-password-1`);
    }
    const p = await b.newPage();
    await login(p, "grace", "grace-password-1");
    await p.locator('form[action="/logout"] button').click();
    await p.waitForURL("**/login**");
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.stop(true);
  });

  it("desktop: both charts render, with bars for this minute, reachable from /admin", async () => {
    const page = await b.newPage({ viewport: { width: 1100, height: 900 } });
    await login(page, ADMIN.username, ADMIN.password);
    await page.goto("/admin");
    await Promise.all([
      page.waitForURL("**/admin/activity"),
      page.click('a[href="/admin/activity"]'),
    ]);
    expect(pathOf(page)).toBe("/admin/activity");
    const sessions = page.locator('[data-testid="sessions-chart"] svg');
    await expect(sessions.isVisible()).resolves.toBe(true);
    expect(await sessions.locator("rect").count()).toBeGreaterThanOrEqual(2);
    const box = await sessions.boundingBox();
    expect(box!.height).toBeGreaterThan(100);
    const latency = page.locator('[data-testid="latency-chart"] svg');
    expect(await latency.locator("circle").count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator("svg script").count()).toBe(0);
    await screenshot(page, "activity");
  });

  it("phone: the charts shrink to the screen, no sideways scrolling", async () => {
    const page = await b.newPhone();
    await login(page, ADMIN.username, ADMIN.password);
    await page.goto("/admin/activity");
    const svg = page.locator('[data-testid="sessions-chart"] svg');
    const box = await svg.boundingBox();
    expect(box!.width).toBeLessThanOrEqual(390);
    expect(box!.width).toBeGreaterThan(250);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, "activity-phone");
  });
});
