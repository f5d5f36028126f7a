/**
 * One fault scenario: serve the workload app on a store, run the workload,
 * inject the fault, let it recover, stop, verify every acknowledged effect,
 * add the row to the table.
 */
import type { SessionStore } from "../../../src/core/store.js";
import { startApp } from "./app.js";
import { addRow } from "./report.js";
import { Workload, type WorkloadResult } from "./workload.js";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ScenarioOptions {
  scenario: string;
  store: string;
  /** The store under test; closed by the caller. */
  open: SessionStore;
  clients?: number;
  /** Load before the fault, ms. */
  warmMs: number;
  /** Injects the fault; calls `w.fault()` when it starts and `w.healed()` when removed. */
  fault: (w: Workload) => Promise<void>;
  /** Load after the fault, ms. */
  afterMs: number;
  requestTimeout?: number;
  extra?: string | (() => string);
  /** Drive this URL instead of the in-process app (an app in a child process). */
  target?: string;
}

let runs = 0;

export async function runScenario(
  o: ScenarioOptions,
): Promise<{ result: WorkloadResult; notes: string[] }> {
  const app = await startApp(o.open);
  const name = `f${process.pid}x${Date.now().toString(36)}x${++runs}`;
  const w = new Workload(o.target ?? app.url, {
    name,
    clients: o.clients ?? 20,
    ...(o.requestTimeout ? { requestTimeout: o.requestTimeout } : {}),
  });
  const started = Date.now();
  try {
    w.start();
    await sleep(o.warmMs);
    await o.fault(w);
    await sleep(o.afterMs);
    await w.stop();
    const result = await w.verify();
    const extra = typeof o.extra === "function" ? o.extra() : o.extra;
    addRow({
      scenario: o.scenario,
      store: o.store,
      seconds: Math.round((Date.now() - started) / 1000),
      result,
      ...(extra ? { extra } : {}),
    });
    return { result, notes: w.notes };
  } finally {
    await w.stop();
    await app.close();
  }
}

/** Polls `check` every 100 ms until it returns true, or throws after `ms`. */
export async function until(
  what: string,
  ms: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}
