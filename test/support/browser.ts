/**
 * Real headless Chromium for the browser tests: playwright-core driving
 * Debian's /usr/bin/chromium (installed by scripts/services/chromium.sh),
 * never a downloaded browser.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { probe, SERVICE_URLS } from "./services.js";

/**
 * Root needs --no-sandbox; the background-networking flags keep Chromium
 * from dialling out on a closed network; QUIC off so loopback HTTP is plain.
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

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
