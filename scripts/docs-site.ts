/**
 * `npm run docs:build`: the docs site. README.md becomes the home page and
 * docs/*.md the guide (copied into site/src, their links rewritten for the
 * site), TypeDoc writes the API reference of every public entry point from
 * the TSDoc (site/src/api), and VitePress builds the lot into site/dist.
 * Links to repository files outside docs/ (examples, benchmark results) are
 * served as they are under /repo/, so no link on the site leads nowhere:
 * the package has no public repository URL to point at yet. VitePress
 * fails the build on a dead link between pages; `npm run docs:check` then
 * drives the built site in Chromium.
 */
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, normalize, posix } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const SRC = join(ROOT, "site/src");
const bin = (name: string) => join(ROOT, "node_modules/.bin", name);

/** Files outside docs/ that pages link to, copied under /repo/ (repo-relative paths). */
const repoFiles = new Set<string>();

/**
 * Rewrites one page's relative links: another doc page stays a page link,
 * a repository file becomes /repo/<path>. `from` is the page's folder in
 * the repository ("" for README.md, "docs" for docs/*.md).
 */
export function rewriteLinks(text: string, from: string): string {
  return text.replace(
    /(\]\()([^)\s#]+)(#[^)\s]*)?(\))/g,
    (whole, open, target, hash = "", close) => {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("/")) return whole;
      const path = posix.normalize(posix.join(from, target));
      if (path.startsWith("..")) return whole;
      let to: string;
      if (path === "README.md") to = "/";
      else if (/^docs\/[^/]+\.md$/.test(path)) to = `/${path.slice("docs/".length)}`;
      else if (path.startsWith("docs/screenshots/")) to = `/${path.slice("docs/".length)}`;
      else {
        repoFiles.add(path);
        // A Markdown file becomes a page of its own; anything else is served raw.
        to = `/repo/${path.endsWith(".md") ? path.slice(0, -3) : path}`;
      }
      return `${open}${to}${hash}${close}`;
    },
  );
}

/**
 * typedoc-plugin-markdown 4.x writes the anchor of `AUDIT_EVENT_TYPES` as
 * `audit_event_types` but links to it as `#audit-event-types`. Each link
 * whose fragment is on no anchor of its page is pointed at the one anchor
 * that differs from it only by `_` against `-`; anything else is left for
 * `npm run docs:check` to report.
 */
export function fixApiAnchors(dir: string): number {
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) =>
    f.endsWith(".md"),
  );
  const ids = new Map<string, Set<string>>();
  const texts = new Map<string, string>();
  for (const f of files) {
    const text = readFileSync(join(dir, f), "utf8");
    texts.set(f, text);
    ids.set(f, new Set([...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]!)));
  }
  let fixed = 0;
  for (const [f, text] of texts) {
    const out = text.replace(
      /\]\(([^)#\s]*)#([^)\s]+)\)/g,
      (whole, target: string, hash: string) => {
        const page = target === "" ? f : posix.normalize(posix.join(posix.dirname(f), target));
        const known = ids.get(page);
        if (known === undefined || known.has(hash)) return whole;
        const same = [...known].filter((id) => id.replace(/_/g, "-") === hash.replace(/_/g, "-"));
        if (same.length !== 1) return whole;
        fixed++;
        return `](${target}#${same[0]})`;
      },
    );
    if (out !== text) writeFileSync(join(dir, f), out);
  }
  return fixed;
}

function main(): void {
  const t0 = performance.now();
  rmSync(SRC, { recursive: true, force: true });
  mkdirSync(join(SRC, "public"), { recursive: true });

  writeFileSync(
    join(SRC, "index.md"),
    rewriteLinks(readFileSync(join(ROOT, "README.md"), "utf8"), ""),
  );
  for (const f of readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md"))) {
    const text = readFileSync(join(ROOT, "docs", f), "utf8");
    writeFileSync(join(SRC, f), rewriteLinks(text, "docs"));
  }
  cpSync(join(ROOT, "docs/screenshots"), join(SRC, "public/screenshots"), { recursive: true });
  const copied = new Set<string>();
  // Pages made of repository Markdown can link to more files: until none is new.
  for (
    let fresh = [...repoFiles];
    fresh.length > 0;
    fresh = [...repoFiles].filter((p) => !copied.has(p))
  ) {
    for (const path of fresh) {
      copied.add(path);
      const src = join(ROOT, normalize(path));
      if (!existsSync(src)) throw new Error(`a doc links to ${path}, which does not exist`);
      const md = path.endsWith(".md");
      const dest = join(SRC, md ? "repo" : "public/repo", path);
      mkdirSync(dirname(dest), { recursive: true });
      if (md) writeFileSync(dest, rewriteLinks(readFileSync(src, "utf8"), posix.dirname(path)));
      else cpSync(src, dest);
    }
  }

  execFileSync(bin("typedoc"), ["--options", join(ROOT, "typedoc.json")], {
    cwd: ROOT,
    stdio: "inherit",
  });
  console.log(`[docs] ${fixApiAnchors(join(SRC, "api"))} API links pointed at their anchors`);
  execFileSync(bin("vitepress"), ["build", "site"], { cwd: ROOT, stdio: "inherit" });
  console.log(`[docs] site/dist built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

if (process.argv[1] === import.meta.filename) main();
