/**
 * Passkeys in the demo, in real headless Chromium with a CDP virtual
 * authenticator (ctap2, internal transport, resident keys, user
 * verification): registration on the account page, sign-in with the button
 * and by autofill (conditional UI), step-up to sudo mode for a password
 * change, and a passkey-only account — the full set on DEMO_FRAMEWORK
 * (default express), a smoke (add a passkey, sign in with it) on the other
 * two. WebAuthn needs a domain as RP ID, so the pages are opened at
 * http://localhost:<port>, the origin the demo is configured with.
 */
import { createServer } from "node:net";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { FRAMEWORKS } from "../../examples/demo/config.js";
import {
  chromiumUnavailable,
  FULL_SUITE_FRAMEWORK,
  launchChromium,
  login,
  pathOf,
  register,
  screenshot,
  submit,
  whoami,
} from "../support/browser.js";
import { type DemoServer, startDemo } from "../support/demo-server.js";
import { describeWithService } from "../support/services.js";

const unavailable = await chromiumUnavailable();
vi.setConfig({ testTimeout: 120_000 });

const SUDO_SECONDS = 6;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startPasskeyDemo(framework: string) {
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const demo = await startDemo({
    framework,
    env: {
      PORT: String(port),
      PASSKEY_RP_ID: "localhost",
      PASSKEY_ORIGINS: origin,
      DEMO_SUDO_MAX_AGE: `${SUDO_SECONDS}s`,
    },
  });
  return { demo, origin };
}

/** A device: its own cookies and its own platform authenticator. */
async function device(browser: Browser, origin: string) {
  const context = await browser.newContext({ baseURL: origin });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const credentials = async () =>
    (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials;
  return { context, page, credentials };
}

/** The session cookie's value (the token), or null. */
async function token(context: BrowserContext): Promise<string | null> {
  const c = (await context.cookies()).find((k) => /cloakroom|sid|session/i.test(k.name));
  return c?.value ?? null;
}

/** Clicks a script button and waits until the page it leads to (`path?done=…`) has loaded. */
async function clickAndLand(
  page: Page,
  selector: string,
  path: string,
  done: string,
): Promise<void> {
  await Promise.all([
    page.waitForURL((u) => u.pathname === path && u.searchParams.get("done") === done, {
      timeout: 30_000,
    }),
    page.locator(selector).click(),
  ]);
  await page.waitForLoadState("load");
}

async function addPasskey(page: Page): Promise<void> {
  await page.goto("/account");
  await clickAndLand(page, "[data-passkey-register]", "/account", "passkey-added");
  expect(await page.locator('[data-testid="passkey"]').count()).toBe(1);
}

async function logout(page: Page): Promise<void> {
  await page.goto("/");
  await submit(page, 'form[action="/logout"] button');
  expect(await whoami(page)).toBeNull();
}

describeWithService(
  "chromium",
  unavailable,
  `passkeys in the demo (${FULL_SUITE_FRAMEWORK})`,
  () => {
    let demo: DemoServer;
    let origin: string;
    let browser: Browser;

    beforeAll(async () => {
      [{ demo, origin }, browser] = await Promise.all([
        startPasskeyDemo(FULL_SUITE_FRAMEWORK),
        launchChromium(),
      ]);
    });
    afterAll(async () => {
      await browser?.close();
      await demo?.stop(true);
    });

    it("adds a passkey, signs in with the button and by autofill, steps up for a password change", async () => {
      const { context, page, credentials } = await device(browser, origin);
      await register(page, "ada", "analytical-engine-1843");
      expect(await whoami(page)).toBe("ada");

      // Add a passkey on the account page (sudo mode is open right after registering).
      await addPasskey(page);
      expect(await credentials()).toHaveLength(1);
      expect(await page.locator('[data-testid="offer-sign-out"]').count()).toBe(1);
      await expect
        .poll(() => page.locator('[data-testid="passkey"] .tag').textContent())
        .toMatch(/this device only|synced/);
      await screenshot(page, "account-passkeys");

      // Autofill (conditional UI): the login page asks on load with mediation
      // "conditional"; Chromium's virtual authenticator answers it with the
      // discoverable credential, as a user picking it in the username field would.
      // Logging out lands on /login, so the sign-in follows by itself.
      const signedInToken = await token(context);
      await page.goto("/");
      await Promise.all([
        page.waitForURL((u) => u.pathname === "/" && u.searchParams.get("done") === "logged-in", {
          timeout: 30_000,
        }),
        page.locator('form[action="/logout"] button').click(),
      ]);
      await page.waitForLoadState("load");
      expect(await whoami(page)).toBe("ada");
      const afterAutofill = await token(context);
      expect(afterAutofill).not.toBeNull();
      expect(afterAutofill).not.toBe(signedInToken);

      // The button, in a browser without autofill for passkeys (as older
      // browsers): the page then only offers the button.
      await context.addInitScript(() => {
        Object.defineProperty(PublicKeyCredential, "isConditionalMediationAvailable", {
          value: async () => false,
        });
      });
      await logout(page);
      await page.goto("/login");
      await expect.poll(() => page.locator("[data-passkey-sign-in]").isVisible()).toBe(true);
      await screenshot(page, "login-passkey");
      const anonymous = await token(context);
      await clickAndLand(page, "[data-passkey-sign-in]", "/", "logged-in");
      expect(await whoami(page)).toBe("ada");
      const afterButton = await token(context);
      expect(afterButton).not.toBeNull();
      expect(afterButton).not.toBe(anonymous);

      // Step-up: once the sudo window has passed, the account page asks again;
      // a passkey assertion opens it without a new token, and the password
      // change then needs no current password.
      await page.waitForTimeout(SUDO_SECONDS * 1000 + 500);
      await page.goto("/account");
      expect(await page.locator('[data-testid="confirm-password"]').count()).toBe(1);
      await screenshot(page, "account-confirm-passkey");
      const beforeStepUp = await token(context);
      await clickAndLand(
        page,
        '[data-testid="confirm-password"] [data-passkey-step-up]',
        "/account",
        "passkey-confirmed",
      );
      expect(await token(context)).toBe(beforeStepUp); // no new token at step-up
      expect(await page.locator('[data-testid="confirmed-by-passkey"]').count()).toBe(1);
      await screenshot(page, "account-confirmed-by-passkey");
      await page.fill(
        '[data-testid="change-password"] input[name="password"]',
        "difference-engine-1822",
      );
      await submit(page, '[data-testid="change-password"] button[type="submit"]');
      expect(new URL(page.url()).searchParams.get("done")).toBe("password-changed");
      await logout(page);
      await login(page, "ada", "difference-engine-1822");
      expect(await whoami(page)).toBe("ada");
      await context.close();
    });

    it("creates a passkey-only account, which cannot remove its last passkey", async () => {
      const { context, page } = await device(browser, origin);
      await page.goto("/register");
      await page.fill('input[name="username"]', "grace");
      await expect.poll(() => page.locator("[data-passkey-register]").isVisible()).toBe(true);
      await screenshot(page, "register-passkey");
      await clickAndLand(page, "[data-passkey-register]", "/", "registered");
      expect(await whoami(page)).toBe("grace");
      await page.goto("/account");
      expect(await page.locator('[data-testid="passkey"]').count()).toBe(1);
      await submit(page, '[data-testid="passkey"] form[action$="/remove"] button');
      expect(new URL(page.url()).searchParams.get("done")).toBe("passkey-last");
      expect(await page.locator('[data-testid="passkey"]').count()).toBe(1);
      await context.close();
    });

    it("without JavaScript, the passkey buttons stay hidden and say what needs it", async () => {
      const context = await browser.newContext({ baseURL: origin, javaScriptEnabled: false });
      const page = await context.newPage();
      await page.goto("/login");
      expect(await page.locator("[data-passkey-sign-in]").isVisible()).toBe(false);
      expect(await page.content()).toContain("needs JavaScript");
      await context.close();
    });
  },
);

for (const framework of FRAMEWORKS.filter((f) => f !== FULL_SUITE_FRAMEWORK)) {
  describeWithService("chromium", unavailable, `passkeys smoke (${framework})`, () => {
    let demo: DemoServer;
    let origin: string;
    let browser: Browser;
    beforeAll(async () => {
      [{ demo, origin }, browser] = await Promise.all([
        startPasskeyDemo(framework),
        launchChromium(),
      ]);
    });
    afterAll(async () => {
      await browser?.close();
      await demo?.stop(true);
    });

    it("adds a passkey and signs in with it (new token)", async () => {
      const { context, page } = await device(browser, origin);
      await register(page, "alan", "turing-machine-1936");
      await addPasskey(page);
      await context.addInitScript(() => {
        Object.defineProperty(PublicKeyCredential, "isConditionalMediationAvailable", {
          value: async () => false,
        });
      });
      await logout(page);
      await page.goto("/login");
      const before = await token(context);
      await clickAndLand(page, "[data-passkey-sign-in]", "/", "logged-in");
      expect(await whoami(page)).toBe("alan");
      expect(await token(context)).not.toBe(before);
      expect(pathOf(page)).toBe("/");
      await context.close();
    });
  });
}
