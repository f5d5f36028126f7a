/**
 * The app process killed with SIGKILL in the middle of writes (twenty
 * clients writing), then started again on the same store: every write it
 * acknowledged before dying is there, and no session is ever read
 * half-written (each write sets two fields in one commit; a reader must see
 * both or neither) — on the file store, SQLite and the server stores.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createStore } from "../../src/stores/create-store.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";
import { dropTable, MYSQL_URL, mysqlUnavailable, PG_URL, pgUnavailable } from "../support/sql.js";
import { expectNothingLost, FULL, printRows, seconds } from "./support/report.js";
import { runScenario, sleep } from "./support/scenario.js";

const CHILD = join(import.meta.dirname, "support", "app-child.ts");
const dir = mkdtempSync(join(tmpdir(), "cloakroom-appkill-"));
const tag = `ak_${process.pid}_${Date.now().toString(36)}`;

afterAll(async () => {
  printRows();
  rmSync(dir, { recursive: true, force: true });
  await dropTable("postgres", tag).catch(() => undefined);
  await dropTable("mysql", tag).catch(() => undefined);
});

const redisUnavailable = await probe("redis", async () => {
  const s = await createStore(SERVICE_URLS.redis, { onConnectionError: () => undefined });
  await s.close?.();
});
const memcachedUnavailable = await probe("memcached", async () => {
  const s = await createStore(SERVICE_URLS.memcached);
  try {
    await s.get("probe".padEnd(43, "x"), Date.now());
  } finally {
    await s.close?.();
  }
});

interface Target {
  name: string;
  url: string;
  unavailable: string | null;
  /** Inside `npm test` too; the rest run only under `npm run test:faults`. */
  inCi: boolean;
}

const TARGETS: Target[] = [
  { name: "file", url: `file:${join(dir, "files")}`, unavailable: null, inCi: true },
  { name: "sqlite", url: `sqlite:${join(dir, "s.db")}`, unavailable: null, inCi: true },
  {
    name: "redis",
    url: `${SERVICE_URLS.redis}?keyPrefix=${tag}:`,
    unavailable: redisUnavailable,
    inCi: true,
  },
  {
    name: "postgres",
    url: `${PG_URL}?table=${tag}&migrate=1`,
    unavailable: pgUnavailable,
    inCi: true,
  },
  {
    name: "mysql",
    url: `${MYSQL_URL}?table=${tag}&migrate=1`,
    unavailable: mysqlUnavailable,
    inCi: false,
  },
  {
    name: "memcached",
    url: `${SERVICE_URLS.memcached}?prefix=${tag}:`,
    unavailable: memcachedUnavailable,
    inCi: false,
  },
  {
    name: "tiered (sqlite + memory)",
    url: `tiered:?durable=${encodeURIComponent(`sqlite:${join(dir, "t.db")}`)}&cache=memory:&singleProcess=true`,
    unavailable: null,
    inCi: false,
  },
];

/** Starts the app in a child process; resolves with it and its URL. */
function startChild(url: string): Promise<{ proc: ChildProcess; base: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", CHILD, url], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`the app did not start: ${err}`));
    }, 30_000);
    proc.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, base: `http://127.0.0.1:${m[1]}` });
      }
    });
    proc.stderr!.on("data", (b: Buffer) => {
      err += b.toString();
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the app exited (${code}) before listening: ${err}`));
    });
  });
}

function kill(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once("exit", () => resolve());
    proc.kill("SIGKILL");
  });
}

// Inside `npm test` the stores run at the same time (each app is its own
// process on its own store), to fit the short forms' time budget; the long form
// runs them one after another, so its latency figures are each store's own.
const stores = FULL ? describe : describe.concurrent;
stores("faults: app killed mid-writes", () => {
  for (const t of TARGETS.filter((x) => FULL || x.inCi)) {
    describeWithService(t.name, t.unavailable, `faults: app killed mid-writes on ${t.name}`, () => {
      it("every acknowledged write survives, no session is read half-written", {
        timeout: 120_000,
      }, async () => {
        let child = await startChild(t.url);
        // The scenario runner serves its own in-process app; the workload is pointed at the child.
        const unused = await createStore("memory:");
        const kills = FULL ? 3 : 1;
        try {
          const { result, notes } = await runScenario({
            scenario: `app SIGKILL mid-writes ×${kills}`,
            store: t.name,
            open: unused,
            target: child.base,
            warmMs: seconds(1.5, 5),
            fault: async (w) => {
              w.fault();
              for (let i = 0; i < kills; i++) {
                await kill(child.proc);
                child = await startChild(t.url);
                w.retarget(child.base);
                if (i < kills - 1) await sleep(seconds(1, 5));
              }
              w.healed();
            },
            afterMs: seconds(2, 10),
          });
          expectNothingLost(result, notes);
          expect(result.errors.reset).toBeGreaterThan(0);
        } finally {
          await kill(child.proc);
          await unused.close?.();
        }
      });
    });
  }
});
