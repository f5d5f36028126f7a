/**
 * `npm run docs:check`: the built docs site (site/dist, from `npm run
 * docs:build`) in real headless Chromium — playwright-core driving Debian's
 * /usr/bin/chromium, never a downloaded browser. It crawls every page
 * reachable from the home page and fails on:
 * - a page that does not answer 200, logs a console error or throws;
 * - an internal link to a page or file that does not exist, or to an
 *   anchor (#id) that is not on its page;
 * - a code block that is not highlighted (no coloured tokens);
 * - the sidebar or the local search not taking the reader to a page.
 * Served by `vitepress preview`, the same server VitePress documents.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { chromium, type Page } from "playwright-core";
import { CHROMIUM_ARGS } from "./chromium-args.js";

const ROOT = join(import.meta.dirname, "..");
const CHROMIUM = process.env.CLOAKROOM_TEST_CHROMIUM ?? "/usr/bin/chromium";
const problems: string[] = [];
const fail = (msg: string) => {
  problems.push(msg);
  console.log(`[docs:check] FAIL ${msg}`);
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitForServer(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`vitepress preview exited with ${child.exitCode}`);
    try {
      if ((await fetch(base)).ok) return;
    } catch {
      // not listening yet: the probe is repeated until the deadline
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`vitepress preview did not answer at ${base} within 60 s`);
}

/** Internal link targets of the current page, as absolute URLs without the hash kept apart. */
function linksOf(page: Page, origin: string): Promise<string[]> {
  return page.$$eval(
    "a[href]",
    (as, o) =>
      as.map((a) => (a as HTMLAnchorElement).href).filter((h) => h.startsWith(o as string)),
    origin,
  );
}

async function checkPage(
  page: Page,
  url: string,
  ids: Map<string, Set<string>>,
): Promise<string[]> {
  const errors: string[] = [];
  const onConsole = (m: { type(): string; text(): string }) => {
    // A failed load is reported with its URL by onResponse; this console line
    // has none (and Chromium's own /favicon.ico probe ends up here).
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource"))
      errors.push(m.text());
  };
  const onError = (e: Error) => errors.push(e.message);
  const onResponse = (r: { status(): number; url(): string }) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} for ${r.url()}`);
  };
  // ERR_ABORTED: a prefetch of a linked page's chunk, cut short when the
  // crawler moves on; a missing file answers 404 (onResponse) instead.
  const onFailed = (r: { url(): string; failure(): { errorText: string } | null }) => {
    const why = r.failure()?.errorText ?? "failed";
    if (why !== "net::ERR_ABORTED") errors.push(`${why}: ${r.url()}`);
  };
  page.on("console", onConsole);
  page.on("requestfailed", onFailed);
  page.on("response", onResponse);
  page.on("pageerror", onError);
  try {
    const res = await page.goto(url, { waitUntil: "load" });
    if (res?.status() !== 200) fail(`${url}: HTTP ${res?.status()}`);
    await page.waitForSelector(".VPContent", { timeout: 15_000 });
    const h1 = await page.$eval(".VPContent h1", (h) => h.textContent ?? "").catch(() => "");
    if (h1.trim() === "") fail(`${url}: no <h1> rendered`);
    if ((await page.$(".NotFound")) !== null) fail(`${url}: rendered as "page not found"`);
    ids.set(
      new URL(url).pathname,
      new Set(await page.$$eval("[id]", (els) => els.map((e) => e.id))),
    );
    // Code blocks: each rendered by Shiki, with coloured tokens.
    const blocks = await page.$$eval('.vp-doc div[class*="language-"]', (divs) =>
      divs.map((d) => ({
        lang: d.className,
        lines: d.querySelectorAll("pre code .line").length,
        coloured: d.querySelectorAll('pre code span[style*="--shiki"]').length,
      })),
    );
    for (const b of blocks) {
      if (b.lines === 0) fail(`${url}: an empty code block (${b.lang})`);
      if (/language-(ts|js|sh|bash|json)\b/.test(b.lang) && b.coloured === 0)
        fail(`${url}: a code block (${b.lang}) is not highlighted`);
    }
    for (const e of errors) fail(`${url}: browser error: ${e}`);
    return await linksOf(page, new URL(url).origin);
  } finally {
    page.off("console", onConsole);
    page.off("requestfailed", onFailed);
    page.off("response", onResponse);
    page.off("pageerror", onError);
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  if (!existsSync(join(ROOT, "site/dist/index.html")))
    throw new Error("site/dist is not built: run `npm run docs:build` first");
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(
    join(ROOT, "node_modules/.bin/vitepress"),
    ["preview", "site", "--port", String(port), "--host", "127.0.0.1"],
    { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] },
  );
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    await waitForServer(base, server);
    const page = await browser.newPage();

    // Crawl: every page reachable from the home page, each link checked.
    const ids = new Map<string, Set<string>>();
    const seen = new Set<string>();
    const anchors: { from: string; path: string; id: string }[] = [];
    const queue = [`${base}/`];
    let pages = 0;
    let files = 0;
    while (queue.length > 0) {
      const url = queue.shift()!;
      const u = new URL(url);
      if (seen.has(u.pathname)) continue;
      seen.add(u.pathname);
      if (u.pathname.endsWith("/") || u.pathname.endsWith(".html")) {
        pages++;
        for (const link of await checkPage(page, url, ids)) {
          const l = new URL(link);
          if (l.hash.length > 1)
            anchors.push({
              from: u.pathname,
              path: l.pathname,
              id: decodeURIComponent(l.hash.slice(1)),
            });
          if (!seen.has(l.pathname)) queue.push(`${l.origin}${l.pathname}`);
        }
      } else {
        // A repository file served as it is (an example, a benchmark figure).
        files++;
        const res = await fetch(url);
        if (res.status !== 200) fail(`${url}: HTTP ${res.status}`);
        await res.arrayBuffer();
      }
    }
    for (const a of anchors) {
      const known = ids.get(a.path);
      if (known !== undefined && !known.has(a.id))
        fail(`${a.from}: link to ${a.path}#${a.id}, no such anchor`);
    }
    if (pages < 20) fail(`only ${pages} pages reachable from the home page`);
    const apiPages = [...seen].filter((p) => p.startsWith("/api/")).length;
    if (apiPages < 10) fail(`only ${apiPages} API reference pages reachable`);

    // Nav: the sidebar takes the reader to another page.
    await page.goto(`${base}/`);
    await page.click('.VPSidebar a[href="/redis.html"]');
    await page.waitForURL(`${base}/redis.html`);
    const redisTitle = await page.textContent(".VPContent h1");
    if (!/Redis/.test(redisTitle ?? "")) fail(`sidebar → /redis.html shows "${redisTitle}"`);
    await page.click('.VPNavBar a[href="/api/"]');
    await page.waitForURL(`${base}/api/`);

    // Search: the local index finds an API name and opens its page.
    await page.click(".VPNavBarSearch button");
    await page.fill(".VPLocalSearchBox input", "createPostgresStore");
    const hit = page.locator(".VPLocalSearchBox .result").first();
    await hit.waitFor({ timeout: 15_000 });
    const hits = await page.locator(".VPLocalSearchBox .result").count();
    await hit.click();
    await page.waitForFunction(() => document.querySelector(".VPLocalSearchBox") === null);
    const found = await page.textContent(".VPContent");
    if (!found?.includes("createPostgresStore"))
      fail(`search "createPostgresStore" → ${page.url()} does not mention it`);

    console.log(
      `[docs:check] ${pages} pages, ${files} files, ${anchors.length} anchors, ${hits} search hits for createPostgresStore; ` +
        `${problems.length} problem(s) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  } finally {
    await browser.close();
    server.kill();
  }
  if (problems.length > 0) process.exit(1);
}

await main();
