/**
 * The demo end to end in real headless Chromium: forms, cookies, redirects
 * and revocation as a browser experiences them, no JavaScript needed by the
 * pages. Runs on DEMO_FRAMEWORK (default express); smoke.test.ts
 * runs the core flows on the other two. Screenshots of the main pages, on
 * desktop and phone widths, go to test-results/screenshots/ (the ones in
 * docs/screenshots are copied from there, see docs/demo.md).
 *
 * Names are fixed and readable ("ada", "grace"…) because they show in the
 * screenshots; each demo run has its own data directory, so they never clash.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import {
  chromiumUnavailable,
  csrfRefused,
  DemoBrowser,
  FULL_SUITE_FRAMEWORK,
  launchChromium,
  login,
  PHONE,
  pathOf,
  register,
  screenshot,
  submit,
  whoami,
} from "../support/browser.js";
import { ADMIN, DemoClient, type DemoServer, startDemo } from "../support/demo-server.js";
import { describeWithService } from "../support/services.js";

const unavailable = await chromiumUnavailable();

// Browsers on a shared 2-core machine: a flow of a dozen page loads takes seconds.
vi.setConfig({ testTimeout: 90_000 });

/** Ada exists before any test (registered over HTTP); tests that change her leave her as found. */
const ADA = { username: "ada", password: "analytical-engine-1843" };

describeWithService(
  "chromium",
  unavailable,
  `demo in a real browser (${FULL_SUITE_FRAMEWORK})`,
  () => {
    let demo: DemoServer;
    let browser: Browser;
    let b: DemoBrowser;

    beforeAll(async () => {
      [demo, browser] = await Promise.all([
        startDemo({ framework: FULL_SUITE_FRAMEWORK }),
        launchChromium(),
      ]);
      b = new DemoBrowser(browser, demo.url);
      const http = new DemoClient(demo.url);
      const r = await http.register(ADA.username, ADA.password);
      if (r.status !== 303) throw new Error(`registering ada: ${r.status} ${r.text}`);
      await http.post("/logout"); // registering signed her in: only the browsers' sessions remain
    });
    afterAll(async () => {
      await browser?.close();
      await demo?.stop(true);
    });

    it("registers, logs out, logs in, and shows the sessions page", async () => {
      const page = await b.newPage();
      await page.goto("/");
      expect(await whoami(page)).toBeNull();
      await screenshot(page, "home-anonymous");
      await page.goto("/login");
      await screenshot(page, "login");
      await page.setViewportSize(PHONE);
      await screenshot(page, "login-phone");
      await register(page, "alan", "alan-password-1");
      expect(pathOf(page)).toBe("/");
      expect(await whoami(page)).toBe("alan");
      await submit(page, 'form[action="/logout"] button');
      expect(pathOf(page)).toBe("/login");
      expect(await whoami(page)).toBeNull();
      await login(page, "alan", "alan-password-1");
      expect(await whoami(page)).toBe("alan");
      await submit(page, 'nav a[href="/sessions"]');
      expect(pathOf(page)).toBe("/sessions");
      await expect(page.locator(".session.current .tag").textContent()).resolves.toBe(
        "this device",
      );
    });

    it("ada signs in on a laptop and a phone; the laptop revokes the phone; its next click lands on /login", async () => {
      const laptop = await b.newPage();
      await login(laptop, ADA.username, ADA.password);
      expect(await whoami(laptop)).toBe("ada");
      await screenshot(laptop, "home");
      const phone = await b.newPhone();
      await login(phone, ADA.username, ADA.password);
      expect(await whoami(phone)).toBe("ada");
      await screenshot(phone, "home-phone");

      await laptop.goto("/sessions");
      const others = laptop.locator(".session:not(.current)");
      await expect(others.count()).resolves.toBe(1);
      await expect(others.locator("strong").textContent()).resolves.toBe("Safari on iPhone");
      await screenshot(laptop, "sessions");
      await phone.goto("/sessions");
      await screenshot(phone, "sessions-phone");
      await submit(laptop, '.session:not(.current) form button[type="submit"]');
      expect(await laptop.locator(".notice").textContent()).toContain("That session has ended");
      await expect(laptop.locator(".session").count()).resolves.toBe(1);

      // The revoked phone's next click: the server no longer knows its cookie.
      await submit(phone, 'nav a[href="/sessions"]');
      expect(pathOf(phone)).toBe("/login");
    });

    it("ada changes her password on the account page: her phone is signed out, the laptop stays", async () => {
      const laptop = await b.newPage();
      const phone = await b.newPhone();
      await login(laptop, ADA.username, ADA.password);
      await login(phone, ADA.username, ADA.password);
      await phone.goto("/account");
      await screenshot(phone, "account-phone");

      await submit(laptop, 'nav a[href="/account"]');
      expect(pathOf(laptop)).toBe("/account");
      await screenshot(laptop, "account");
      const change = async (current: string, next: string) => {
        await laptop.fill('input[name="current"]', current);
        await laptop.fill('input[name="password"]', next);
        await submit(laptop, 'form[action="/account/password"] button[type="submit"]');
      };
      await change("not-her-password", "difference-engine-1822");
      expect(await laptop.locator(".error").textContent()).toContain(
        "current password is not right",
      );
      await change(ADA.password, "difference-engine-1822");
      expect(pathOf(laptop)).toBe("/account");
      expect(await laptop.locator(".notice").textContent()).toContain("Password changed");

      await submit(phone, 'nav a[href="/sessions"]');
      expect(pathOf(phone)).toBe("/login");
      await laptop.goto("/");
      expect(await whoami(laptop)).toBe("ada");
      await laptop.goto("/account");
      await change("difference-engine-1822", ADA.password); // as found, for the other tests
      expect(await laptop.locator(".notice").textContent()).toContain("Password changed");
    });

    it("remember me survives a browser restart; a plain login does not", async () => {
      await register(await b.newPage(), "erin", "erin-password-1");
      for (const remember of [true, false]) {
        const page = await b.newPage();
        await login(page, "erin", "erin-password-1", remember);
        expect(await whoami(page)).toBe("erin");
        // A restart keeps persistent cookies and drops browser-session ones (expires -1).
        const kept = (await page.context().cookies()).filter((c) => c.expires > 0);
        await page.context().close();
        const again: Page = await b.newPage();
        await again.context().addCookies(kept);
        await again.goto("/sessions");
        expect(pathOf(again), `remember=${remember}`).toBe(remember ? "/sessions" : "/login");
      }
    });

    it("a form posted without its CSRF token is refused", async () => {
      const page = await b.newPage();
      await register(page, "frank", "frank-password-1");
      await csrfRefused(page, "csrf-refused");
    });

    it("an admin removes a role and the user loses access at once", async () => {
      const user = await b.newPage();
      await register(user, "grace", "grace-password-1");
      const admin = await b.newPage();
      await login(admin, ADMIN.username, ADMIN.password);
      await admin.goto("/admin");
      const row = admin.locator('tr[data-user="grace"]');
      await submit(admin, 'tr[data-user="grace"] button.chip:not(.on)[title="Grant admin"]');
      await user.goto("/admin");
      expect(await user.locator("h1").textContent()).toBe("Admin");
      await admin.goto("/admin");
      await screenshot(admin, "admin");
      await admin.setViewportSize(PHONE);
      await screenshot(admin, "admin-phone");
      await submit(admin, 'tr[data-user="grace"] button.chip.on[title="Remove admin"]');
      await expect(row.locator("button.chip.on").count()).resolves.toBe(1); // member only
      const response = await user.goto("/admin");
      expect(response?.status()).toBe(403);
    });
  },
);
