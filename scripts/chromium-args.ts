/**
 * How every Cloakroom script and test starts Debian's Chromium (never a
 * downloaded browser). No vitest import, so `npm run docs:check` can use it
 * outside the test runner as test/support/browser.ts does inside it.
 *
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
