/**
 * The core browser flows on every framework other than the one the full
 * suite (flows.test.ts) runs on: sign in on a laptop and a phone,
 * the sessions page, revoking the phone, and a form without its CSRF token
 * refused. One flow per framework keeps this file to a few page loads each.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { FRAMEWORKS } from "../../examples/demo/config.js";
import {
  chromiumUnavailable,
  csrfRefused,
  DemoBrowser,
  FULL_SUITE_FRAMEWORK,
  launchChromium,
  login,
  pathOf,
  register,
  submit,
  whoami,
} from "../support/browser.js";
import { type DemoServer, startDemo } from "../support/demo-server.js";
import { describeWithService } from "../support/services.js";

const unavailable = await chromiumUnavailable();
vi.setConfig({ testTimeout: 90_000 });

let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
});

for (const framework of FRAMEWORKS.filter((f) => f !== FULL_SUITE_FRAMEWORK)) {
  describeWithService(
    "chromium",
    unavailable,
    `demo in a real browser, smoke (${framework})`,
    () => {
      let demo: DemoServer | undefined;
      beforeAll(async () => {
        [demo, browser] = await Promise.all([
          startDemo({ framework }),
          browser ?? launchChromium(),
        ]);
      });
      afterAll(async () => {
        await demo?.stop(true);
      });

      it("logs in on two devices, lists them, revokes one, and refuses a form without its CSRF token", async () => {
        const b = new DemoBrowser(browser!, demo!.url);
        const laptop = await b.newPage();
        await register(laptop, "ada", "analytical-engine-1843");
        expect(await whoami(laptop)).toBe("ada");
        // The footer names the framework serving the page: this really is the one under test.
        await expect(laptop.locator("footer").textContent()).resolves.toContain(framework);
        const phone = await b.newPhone();
        await login(phone, "ada", "analytical-engine-1843");
        expect(await whoami(phone)).toBe("ada");

        await submit(laptop, 'nav a[href="/sessions"]');
        await expect(laptop.locator(".session.current .tag").textContent()).resolves.toBe(
          "this device",
        );
        await expect(laptop.locator(".session:not(.current) strong").textContent()).resolves.toBe(
          "Safari on iPhone",
        );
        await submit(laptop, '.session:not(.current) form button[type="submit"]');
        await expect(laptop.locator(".session").count()).resolves.toBe(1);
        await submit(phone, 'nav a[href="/sessions"]');
        expect(pathOf(phone)).toBe("/login");

        await csrfRefused(laptop);
      });
    },
  );
}
