/**
 * The file store's lock works across processes (node cluster, PM2): two
 * processes, started together on a signal, patch one session 100 times each
 * and every key survives. Without the O_EXCL lock file, their
 * read-modify-write cycles interleave and lose updates (REL-10).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { record, testKey } from "cloakroom-sessions/testing";
import { afterAll, expect, it } from "vitest";
import { FileStore } from "../../../src/stores/file/index.js";

const dir = mkdtempSync(join(tmpdir(), "cloakroom-file-mp-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 100;
const CHILD = `
const { FileStore } = await import(${JSON.stringify(new URL("../../../src/stores/file/index.ts", import.meta.url).pathname)});
const [dir, key, tag] = process.argv.slice(1);
const store = new FileStore({ dir, fsync: false, sweepInterval: 0 });
process.stdout.write("ready\\n");
await new Promise((resolve) => process.stdin.once("data", resolve));
const results = await Promise.all(Array.from({ length: ${N} }, (_, i) =>
  store.patch(key, { set: { [tag + i]: String(i) }, unset: [], maxBytes: 1 << 20 }, Date.now())));
process.stdout.write(JSON.stringify(results) + "\\n");
process.exit(0);
`;

/** A child process running CHILD: resolves `ready` once loaded, `done` with its results. */
function child(key: string, tag: string) {
  const p = spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", CHILD, dir, key, tag],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  let out = "";
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  p.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    if (out.startsWith("ready\n")) onReady();
  });
  const done = new Promise<string[]>((resolve, reject) => {
    p.on("error", reject);
    p.on("exit", (code) => {
      if (code !== 0) reject(new Error(`child ${tag} exited with ${code}`));
      else resolve(JSON.parse(out.slice("ready\n".length)) as string[]);
    });
  });
  return { ready, done, go: () => p.stdin.end("go\n") };
}

it("keeps all 200 patches from two processes racing on one session", async () => {
  const key = testKey();
  const store = new FileStore({ dir, fsync: false, sweepInterval: 0 });
  await store.create(key, record({ data: {} }));
  const kids = [child(key, "a"), child(key, "b")];
  await Promise.all(kids.map((k) => k.ready));
  for (const k of kids) k.go();
  for (const results of await Promise.all(kids.map((k) => k.done))) {
    expect(results).toEqual(Array(N).fill("ok"));
  }
  const got = await store.get(key, Date.now());
  expect(Object.keys(got!.data)).toHaveLength(2 * N);
}, 60_000);
