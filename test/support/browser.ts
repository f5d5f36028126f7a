/**
 * Real headless Chromium for the browser tests: playwright-core driving
 * Debian's /usr/bin/chromium (installed by scripts/services/chromium.sh),
 * never a downloaded browser.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { expect } from "vitest";
import { FRAMEWORKS } from "../../examples/demo/config.js";
import { CHROMIUM_ARGS } from "../../scripts/chromium-args.js";
import { probe, SERVICE_URLS } from "./services.js";

export const SCREENSHOTS = fileURLToPath(
  new URL("../../test-results/screenshots", import.meta.url),
);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: SERVICE_URLS.chromium, args: CHROMIUM_ARGS });
}

/** Null when Chromium starts and opens a page; otherwise why not. */
export async function chromiumUnavailable(): Promise<string | null> {
  if (!existsSync(SERVICE_URLS.chromium)) return `${SERVICE_URLS.chromium} does not exist`;
  return probe(
    "chromium",
    async () => {
      const browser = await launchChromium();
      try {
        await (await browser.newPage()).setContent("<p>ok</p>");
      } finally {
        await browser.close();
      }
    },
    20_000,
  );
}

/** A full-page PNG in test-results/screenshots/<name>.png (kept as a test artifact). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * The framework the full browser suite runs on: `DEMO_FRAMEWORK`, as for
 * `npm start` (default express). The other frameworks get the smoke suite.
 */
export const FULL_SUITE_FRAMEWORK = (() => {
  const fw = (process.env.DEMO_FRAMEWORK ?? "express").toLowerCase();
  if (!(FRAMEWORKS as readonly string[]).includes(fw)) {
    throw new Error(`DEMO_FRAMEWORK: "${fw}" is not one of ${FRAMEWORKS.join(", ")}`);
  }
  return fw;
})();

export const PHONE = { width: 390, height: 844 };
export const IPHONE_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/** One browser, many isolated contexts (each a separate device with its own cookies). */
export class DemoBrowser {
  readonly contexts: BrowserContext[] = [];
  constructor(
    readonly browser: Browser,
    readonly baseURL: string,
  ) {}

  async newPage(options: Parameters<Browser["newContext"]>[0] = {}): Promise<Page> {
    const context = await this.browser.newContext({ baseURL: this.baseURL, ...options });
    this.contexts.push(context);
    return context.newPage();
  }

  /** A phone: iPhone user agent and viewport. */
  newPhone(): Promise<Page> {
    return this.newPage({ userAgent: IPHONE_UA, viewport: PHONE, isMobile: true, hasTouch: true });
  }
}

/** Clicks a submit button and waits for the page it leads to (forms post without JavaScript). */
export async function submit(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.locator(selector).click()]);
}

export async function login(
  page: Page,
  username: string,
  password: string,
  remember = false,
): Promise<void> {
  await page.goto("/login");
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  if (remember) await page.check('input[name="remember"]');
  await submit(page, 'form[action="/login"] button[type="submit"]');
}

export async function register(page: Page, username: string, password: string): Promise<void> {
  await page.goto("/register");
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await submit(page, 'form[action="/register"] button[type="submit"]');
}

/** The signed-in username the home page shows, or null. */
export async function whoami(page: Page): Promise<string | null> {
  const el = page.locator('[data-testid="whoami"]');
  return (await el.count()) === 0 ? null : el.textContent();
}

export const pathOf = (page: Page) => new URL(page.url()).pathname;

/** Posts "Log out everywhere" with its `_csrf` field removed: 403, and still signed in. */
export async function csrfRefused(page: Page, shot?: string): Promise<void> {
  await page.goto("/");
  const who = await whoami(page);
  expect(who).not.toBeNull();
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
  if (shot) await screenshot(page, shot);
  await page.goto("/");
  expect(await whoami(page)).toBe(who); // still signed in: nothing happened
}
