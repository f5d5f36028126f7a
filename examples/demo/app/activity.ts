/**
 * The admin's activity page and `GET /metrics`. Metrics come from
 * `cloakroom-sessions/metrics` (prom-client): the store is timed, the
 * manager observed, logins and CSRF refusals counted from the audit trail.
 * The page's chart needs history Prometheus counters do not keep, so the
 * same events also feed a one-hour ring of one-minute buckets here, drawn
 * as an inline SVG on the server (no script: the CSP forbids it, and the
 * page must work without JavaScript).
 */
import { type SessionManager, type SessionStore, wrapStore } from "../lib.js";
import type { User } from "../users/directory.js";
import type { DemoContext } from "./context.js";
import type { DemoRequest, DemoResponse } from "./http.js";
import { html } from "./http.js";
import { page } from "./page.js";

const MINUTE = 60_000;
const SLOTS = 60;

interface Slot {
  minute: number;
  created: number;
  revoked: number;
  expired: number;
  storeCalls: number;
  storeSeconds: number;
}

/** Per-minute counts over the last hour, in process memory. */
export class Activity {
  readonly #slots: Slot[] = [];
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  #slot(): Slot {
    const minute = Math.floor(this.#now() / MINUTE);
    let last = this.#slots.at(-1);
    if (last?.minute !== minute) {
      last = { minute, created: 0, revoked: 0, expired: 0, storeCalls: 0, storeSeconds: 0 };
      this.#slots.push(last);
      while (this.#slots.length > 0 && this.#slots[0]!.minute <= minute - SLOTS)
        this.#slots.shift();
    }
    return last;
  }

  /** Counts the manager's lifecycle events. */
  observe(sessions: SessionManager): void {
    sessions.on("created", () => {
      this.#slot().created++;
    });
    sessions.on("rotated", () => {
      this.#slot().created++;
    });
    sessions.on("revoked", (e) => {
      this.#slot().revoked += e.count;
    });
    sessions.on("destroyed", () => {
      this.#slot().revoked++;
    });
    sessions.on("expired", () => {
      this.#slot().expired++;
    });
  }

  /** The store with its latency recorded here too. */
  time<S extends SessionStore>(store: S): S {
    return wrapStore(store, async (_op, call) => {
      const start = performance.now();
      try {
        return await call();
      } finally {
        const s = this.#slot();
        s.storeCalls++;
        s.storeSeconds += (performance.now() - start) / 1000;
      }
    });
  }

  /** The last hour, oldest first, one entry per minute (empty minutes included). */
  series(): Slot[] {
    const current = Math.floor(this.#now() / MINUTE);
    const byMinute = new Map(this.#slots.map((s) => [s.minute, s]));
    const out: Slot[] = [];
    for (let m = current - SLOTS + 1; m <= current; m++) {
      out.push(
        byMinute.get(m) ?? {
          minute: m,
          created: 0,
          revoked: 0,
          expired: 0,
          storeCalls: 0,
          storeSeconds: 0,
        },
      );
    }
    return out;
  }
}

/** `GET /metrics` (admins): Prometheus text format. */
export async function metricsText(_req: DemoRequest, ctx: DemoContext): Promise<DemoResponse> {
  return html(200, await ctx.metrics.text(), { "content-type": ctx.metrics.contentType });
}

/** `GET /admin/activity`. */
export async function activityPage(req: DemoRequest, ctx: DemoContext, user: User | null) {
  const series = ctx.activity.series();
  const totals = series.reduce(
    (t, s) => ({
      created: t.created + s.created,
      revoked: t.revoked + s.revoked,
      expired: t.expired + s.expired,
      calls: t.calls + s.storeCalls,
      seconds: t.seconds + s.storeSeconds,
    }),
    { created: 0, revoked: 0, expired: 0, calls: 0, seconds: 0 },
  );
  return page(ctx, req, user, "activity", "Activity", {
    chart: chart(series),
    latencyChart: latencyChart(series),
    totals: {
      ...totals,
      meanMs: totals.calls > 0 ? (totals.seconds / totals.calls) * 1000 : 0,
    },
  });
}

const COLORS = { created: "#2f6f4f", revoked: "#b3261e", expired: "#8a6d1f", latency: "#1f4f8a" };
const W = 600;
const H = 160;
const PAD = { left: 36, right: 8, top: 10, bottom: 22 };

/** Grouped bars: created, revoked and expired per minute. Numbers only go into the markup. */
function chart(series: Slot[]): string {
  const max = Math.max(1, ...series.flatMap((s) => [s.created, s.revoked, s.expired]));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / series.length;
  const bar = Math.max(1, step / 3 - 0.5);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const rects: string[] = [];
  series.forEach((s, i) => {
    const x0 = PAD.left + i * step;
    (["created", "revoked", "expired"] as const).forEach((k, j) => {
      if (s[k] === 0) return;
      const top = y(s[k]);
      rects.push(
        `<rect x="${(x0 + j * bar).toFixed(1)}" y="${top.toFixed(1)}" width="${bar.toFixed(1)}" height="${(PAD.top + plotH - top).toFixed(1)}" fill="${COLORS[k]}"><title>${k}: ${s[k]}</title></rect>`,
      );
    });
  });
  return svg(
    "Sessions created, revoked and expired per minute, last hour",
    max,
    rects.join(""),
    "sessions/min",
  );
}

/** Mean store latency per minute, ms, as a line. */
function latencyChart(series: Slot[]): string {
  const ms = series.map((s) => (s.storeCalls > 0 ? (s.storeSeconds / s.storeCalls) * 1000 : null));
  const max = Math.max(0.1, ...ms.filter((v): v is number => v !== null));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / series.length;
  const points: string[] = [];
  const dots: string[] = [];
  ms.forEach((v, i) => {
    if (v === null) return;
    const x = PAD.left + i * step + step / 2;
    const yv = PAD.top + plotH - (v / max) * plotH;
    points.push(`${x.toFixed(1)},${yv.toFixed(1)}`);
    dots.push(
      `<circle cx="${x.toFixed(1)}" cy="${yv.toFixed(1)}" r="2.5" fill="${COLORS.latency}"><title>${v.toFixed(2)} ms</title></circle>`,
    );
  });
  const line =
    points.length > 1
      ? `<polyline points="${points.join(" ")}" fill="none" stroke="${COLORS.latency}" stroke-width="2"/>`
      : "";
  return svg(
    "Mean session store latency per minute, milliseconds, last hour",
    Number(max.toPrecision(2)),
    line + dots.join(""),
    "ms",
  );
}

function svg(title: string, max: number, marks: string, unit: string): string {
  const plotH = H - PAD.top - PAD.bottom;
  const axis = `<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${W - PAD.right}" y2="${PAD.top + plotH}" stroke="#999"/>`;
  const labels = [
    `<text x="${PAD.left - 4}" y="${PAD.top + 8}" text-anchor="end" font-size="10" fill="#555">${max}</text>`,
    `<text x="${PAD.left - 4}" y="${PAD.top + plotH}" text-anchor="end" font-size="10" fill="#555">0</text>`,
    `<text x="${PAD.left}" y="${H - 6}" font-size="10" fill="#555">−60 min</text>`,
    `<text x="${W - PAD.right}" y="${H - 6}" text-anchor="end" font-size="10" fill="#555">now · ${unit}</text>`,
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${title}" class="chart"><title>${title}</title>${axis}${labels.join("")}${marks}</svg>`;
}
