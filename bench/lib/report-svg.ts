/**
 * `latest.svg`: throughput per scenario as horizontal bars, one panel per
 * route, Cloakroom's scenarios highlighted, each bar labelled with req/s and
 * its ratio to the framework's hello (the ceiling). Plain SVG, no library.
 */
import type { BenchFile, Result } from "./results.js";

const W = 960;
const LABEL = 300;
const BAR_W = 440;
const ROW = 24;
const OURS = "#d9480f";
const THEIRS = "#868e96";
const CEILING = "#ced4da";

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function panel(title: string, rows: Result[], y0: number): { svg: string; height: number } {
  const top = Math.max(1, ...rows.map((r) => r.rps ?? 0));
  const parts = [`<text x="10" y="${y0 + 18}" class="title">${esc(title)}</text>`];
  rows.forEach((r, i) => {
    const y = y0 + 30 + i * ROW;
    const rps = r.rps ?? 0;
    const w = Math.max(1, (rps / top) * BAR_W);
    const fill = r.ours ? OURS : r.backend === "none" ? CEILING : THEIRS;
    const ratio = r.ratio_to_ceiling == null ? "" : ` · ${r.ratio_to_ceiling.toFixed(2)}× hello`;
    const name = `<text x="${LABEL - 8}" y="${y + 15}" text-anchor="end" class="${r.ours ? "ours" : "name"}">${esc(r.scenario)}</text>`;
    const bar = `<rect x="${LABEL}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW - 7}" fill="${fill}" rx="2"/>`;
    const value = `<text x="${LABEL + w + 6}" y="${y + 15}" class="value">${Math.round(rps).toLocaleString("en-US")} req/s${ratio}</text>`;
    parts.push(name, bar, value);
  });
  return { svg: parts.join("\n"), height: 40 + rows.length * ROW };
}

export function renderSvg(f: BenchFile): string {
  let y = 40;
  const panels: string[] = [];
  for (const route of ["read", "write"] as const) {
    const rows = f.results.filter((r) => r.route === route && r.available);
    const p = panel(
      route === "read" ? "GET /read — req/s (median)" : "POST /write — req/s (median)",
      rows,
      y,
    );
    panels.push(p.svg);
    y += p.height + 10;
  }
  const m = f.machine;
  const caption = `${m.mode} run, ${m.date}, ${m.cores} cores, ${m.load_tool}, ${m.rounds} round(s) × ${m.seconds_per_run} s. Orange: Cloakroom; light grey: no session (the ceiling).`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 20}" viewBox="0 0 ${W} ${y + 20}" font-family="system-ui, sans-serif" font-size="13">
<style>.title{font-weight:600;font-size:15px}.ours{font-weight:600;fill:${OURS}}.name{fill:#212529}.value{fill:#495057;font-size:12px}.caption{fill:#495057;font-size:12px}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="22" class="title">Cloakroom vs incumbents: throughput per scenario</text>
${panels.join("\n")}
<text x="10" y="${y + 8}" class="caption">${esc(caption)}</text>
</svg>
`;
}
