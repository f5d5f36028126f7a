/**
 * Page rendering with Eta. `autoEscape` is on, so every `<%= %>` is
 * HTML-escaped by the engine; the only raw output is the page body the
 * layout wraps (`<%~ it.body %>`), itself produced by an escaping template,
 * and the activity page's SVG charts, built from numbers only (app/activity.ts).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Eta } from "eta";

const VIEWS = fileURLToPath(new URL("../views", import.meta.url));

const eta = new Eta({ views: VIEWS, autoEscape: true, autoTrim: false, cache: true });

/** The stylesheet, read once. */
export const STYLESHEET = readFileSync(`${VIEWS}/style.css`, "utf8");

export interface LayoutData {
  title: string;
  user: { username: string; roles: string[] } | null;
  csrf: string;
  notice?: string | null;
  error?: string | null;
  storeKind: string;
  framework: string;
}

const dateFormat = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeStyle: "short",
  timeZone: "UTC",
});

/** Helpers the templates share: times shown in UTC, with the ISO form in `datetime`. */
const helpers = {
  when: (ms: number | null) => (ms === null ? "—" : `${dateFormat.format(ms)} UTC`),
  iso: (ms: number | null) => (ms === null ? "" : new Date(ms).toISOString()),
  day: (ms: number) => new Date(ms).toISOString().slice(0, 10),
};

/** Renders `view` inside the layout. */
export function renderPage(view: string, layout: LayoutData, data: object = {}): string {
  const body = eta.render(view, { ...helpers, ...layout, ...data });
  return eta.render("layout", { ...layout, body });
}
