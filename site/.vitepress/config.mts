/**
 * VitePress configuration of the docs site (`npm run docs:build`). The pages
 * are generated into site/src by scripts/docs-site.ts; the API sidebar comes
 * from TypeDoc (typedoc-vitepress-theme writes it beside the API pages).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type DefaultTheme, defineConfig } from "vitepress";

const here = import.meta.dirname;
const apiSidebarFile = join(here, "../src/api/typedoc-sidebar.json");
const apiSidebar: DefaultTheme.SidebarItem[] = existsSync(apiSidebarFile)
  ? JSON.parse(readFileSync(apiSidebarFile, "utf8"))
  : [];

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: "Guide",
    items: [
      { text: "Overview", link: "/" },
      { text: "Adapters", link: "/adapters" },
      { text: "Auth", link: "/auth" },
      { text: "Migrating", link: "/migrating" },
      { text: "Command line", link: "/cli" },
      { text: "Demo", link: "/demo" },
    ],
  },
  {
    text: "Stores",
    items: [
      { text: "SQL stores", link: "/sql" },
      { text: "Redis", link: "/redis" },
      { text: "More stores", link: "/stores-more" },
      { text: "Writing a store", link: "/writing-a-store" },
    ],
  },
  {
    text: "Running it",
    items: [
      { text: "Operations", link: "/operations" },
      { text: "Security", link: "/security" },
      { text: "Reliability", link: "/reliability" },
      { text: "Benchmarks", link: "/benchmarks" },
    ],
  },
];

/**
 * Heading anchors as GitHub makes them (github-slugger's rule: lower case,
 * punctuation and symbols dropped, each space a hyphen), so one `#anchor` in
 * docs/*.md works on GitHub, on npm and here. "express-session → Cloakroom"
 * is #express-session--cloakroom in all three.
 */
export function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

export default defineConfig({
  title: "Cloakroom",
  description: "Server-side sessions for Node: signed ticket in the cookie, state in your store.",
  srcDir: "src",
  // Repository files the pages link to are served as they are, not rendered.
  srcExclude: ["public/**"],
  outDir: "dist",
  cacheDir: ".vitepress/cache",
  cleanUrls: false,
  lastUpdated: false,
  markdown: { anchor: { slugify: githubSlug } },
  // No font or analytics from elsewhere: the site works offline.
  head: [],
  themeConfig: {
    nav: [
      { text: "Guide", link: "/" },
      { text: "API", link: "/api/" },
    ],
    sidebar: {
      "/api/": [{ text: "API reference", link: "/api/", items: apiSidebar }],
      "/": guide,
    },
    search: { provider: "local" },
    outline: [2, 3],
  },
});
