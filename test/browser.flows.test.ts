/**
 * The demo end to end in real headless Chromium: forms, cookies, redirects
 * and revocation as a browser experiences them, no JavaScript needed by the
 * pages. Screenshots of the main pages go to test-results/screenshots/.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { chromiumUnavailable, launchChromium, screenshot } from "./support/browser.js";
import { ADMIN, type DemoServer, startDemo, uniqueName } from "./support/demo-server.js";
import { describeWithService } from "./support/services.js";

const unavailable = await chromiumUnavailable();

// Browsers on a shared 2-core machine: a flow of a dozen page loads takes seconds.
vi.setConfig({ testTimeout: 90_000 });

describeWithService("chromium", unavailable, "demo in a real browser", () => {
  let demo: DemoServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const PHONE = { width: 390, height: 844 };

  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemo(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.stop(true);
  });

  const newPage = async (options: Parameters<Browser["newContext"]>[0] = {}): Promise<Page> => {
    const context = await browser.newContext({ baseURL: demo.url, ...options });
    contexts.push(context);
    return context.newPage();
  };
  /** Clicks a submit button and waits for the page it leads to. */
  const submit = async (page: Page, selector: string) => {
    await Promise.all([page.waitForNavigation(), page.locator(selector).click()]);
  };
  const login = async (page: Page, username: string, password: string, remember = false) => {
    await page.goto("/login");
    await page.fill('input[name="username"]', username);
    await page.fill('input[name="password"]', password);
    if (remember) await page.check('input[name="remember"]');
    await submit(page, 'form[action="/login"] button[type="submit"]');
  };
  const register = async (page: Page, username: string, password: string) => {
    await page.goto("/register");
    await page.fill('input[name="username"]', username);
    await page.fill('input[name="password"]', password);
    await submit(page, 'form[action="/register"] button[type="submit"]');
  };
  const whoami = (page: Page) => page.locator('[data-testid="whoami"]').textContent();

  it("registers, logs out, logs in, and shows the sessions page", async () => {
    const page = await newPage();
    await page.goto("/");
    await screenshot(page, "home-anonymous");
    await page.goto("/login");
    await screenshot(page, "login");
    const username = uniqueName("carol");
    await register(page, username, "carol-password-1");
    expect(new URL(page.url()).pathname).toBe("/");
    expect(await whoami(page)).toBe(username);
    await screenshot(page, "home");
    await submit(page, 'form[action="/logout"] button');
    expect(new URL(page.url()).pathname).toBe("/login");
    expect(await page.locator('[data-testid="whoami"]').count()).toBe(0);
    await login(page, username, "carol-password-1");
    expect(await whoami(page)).toBe(username);
    await page.click('a[href="/sessions"]');
    expect(new URL(page.url()).pathname).toBe("/sessions");
    await expect(page.locator(".session.current .tag").textContent()).resolves.toBe("this device");
    await screenshot(page, "sessions");
  });

  it("a second browser logs in as the same user; the first revokes it; its next click lands on /login", async () => {
    const username = uniqueName("dave");
    const first = await newPage();
    await register(first, username, "dave-password-1");
    const second = await newPage({
      userAgent:
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
      viewport: PHONE,
    });
    await login(second, username, "dave-password-1");
    expect(await whoami(second)).toBe(username);

    await first.goto("/sessions");
    const others = first.locator(".session:not(.current)");
    await expect(others.count()).resolves.toBe(1);
    await screenshot(first, "sessions-two-devices");
    await second.goto("/sessions");
    await screenshot(second, "sessions-phone");
    await submit(first, '.session:not(.current) form button[type="submit"]');
    expect(await first.locator(".notice").textContent()).toContain("That session has ended");
    await expect(first.locator(".session").count()).resolves.toBe(1);

    // The revoked browser's next click: the server no longer knows its cookie.
    await submit(second, 'nav a[href="/sessions"]');
    expect(new URL(second.url()).pathname).toBe("/login");
  });

  it("remember me survives a browser restart; a plain login does not", async () => {
    const username = uniqueName("erin");
    const setup = await newPage();
    await register(setup, username, "erin-password-1");
    for (const remember of [true, false]) {
      const page = await newPage();
      await login(page, username, "erin-password-1", remember);
      expect(await whoami(page)).toBe(username);
      // A restart keeps persistent cookies and drops browser-session ones (expires -1).
      const kept = (await page.context().cookies()).filter((c) => c.expires > 0);
      await page.context().close();
      const restarted = await browser.newContext({ baseURL: demo.url });
      contexts.push(restarted);
      await restarted.addCookies(kept);
      const again = await restarted.newPage();
      await again.goto("/sessions");
      expect(new URL(again.url()).pathname, `remember=${remember}`).toBe(
        remember ? "/sessions" : "/login",
      );
    }
  });

  it("a form posted without its CSRF token is refused", async () => {
    const page = await newPage();
    await register(page, uniqueName("frank"), "frank-password-1");
    await page.goto("/sessions");
    await page
      .locator('form[action="/logout-all"] input[name="_csrf"]')
      .evaluate((el) => el.remove());
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/logout-all")),
      page.click('form[action="/logout-all"] button'),
    ]);
    expect(response.status()).toBe(403);
    await page.waitForLoadState("load");
    await screenshot(page, "csrf-refused");
    await page.goto("/");
    expect(await whoami(page)).not.toBeNull(); // still signed in: nothing happened
  });

  it("an admin removes a role and the user loses access at once", async () => {
    const username = uniqueName("grace");
    const user = await newPage();
    await register(user, username, "grace-password-1");
    const admin = await newPage();
    await login(admin, ADMIN.username, ADMIN.password);
    await admin.goto("/admin");
    const row = admin.locator(`tr[data-user="${username}"]`);
    await submit(admin, `tr[data-user="${username}"] button.chip:not(.on)[title="Grant admin"]`);
    await user.goto("/admin");
    expect(await user.locator("h1").textContent()).toBe("Admin");
    await admin.goto("/admin");
    await screenshot(admin, "admin");
    await submit(admin, `tr[data-user="${username}"] button.chip.on[title="Remove admin"]`);
    await expect(row.locator("button.chip.on").count()).resolves.toBe(1); // member only
    const response = await user.goto("/admin");
    expect(response?.status()).toBe(403);
  });
});
