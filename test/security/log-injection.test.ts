/**
 * What a client types cannot forge a log line (ASVS 5.0 V16.4.1): a
 * username carrying CR/LF, a fake timestamp and "login ok" is logged on one
 * line, escaped. Black-box against the demo, reading its own output and its
 * audit trail (AUDIT_LOG: one JSON object a line).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DemoClient, type DemoServer, startDemo } from "../support/demo-server.js";

let demo: DemoServer;
beforeAll(async () => {
  demo = await startDemo();
});
afterAll(async () => {
  await demo?.stop(true);
});

it("a username with CR/LF stays on one escaped log line", async () => {
  const forged = '2026-01-01T00:00:00Z demo: login ok for "admin"';
  for (const sep of ["\r\n", "\n", "\r", "\u2028", "\u0085"]) {
    const c = new DemoClient(demo.url);
    const r = await c.login(`alice${sep}${forged}`, "wrong-password-xyz");
    expect([400, 401]).toContain(r.status);
  }
  const audit = readFileSync(join(demo.dataDir, "audit.jsonl"), "utf8");
  for (const logs of [demo.logs(), audit]) {
    const lines = logs.split(/\r\n|\n|\r|\u2028|\u0085/);
    // No line starts with the forged text: every attempt stayed on its own line.
    for (const line of lines) expect(line.startsWith(forged)).toBe(false);
  }
  // The attempts were logged (an audit line per failure), escaped rather than dropped.
  const failures = audit
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; username?: string })
    .filter((e) => e.type === "login.failed" && e.username?.startsWith("alice"));
  expect(failures.length).toBe(5);
  expect(audit).toContain(String.raw`alice\r\n2026-01-01`);
  expect(audit).toContain(String.raw`alice\u2028`); // escaped, though JSON would allow it raw
  expect(audit).not.toMatch(/[\u2028\u2029\u0085]/);
});
