/**
 * What every CLI command shares (CONTRACT §4): `--help` with an example,
 * `--version`, `--json` (one parsable document on stdout, errors included),
 * the store URL from SESSION_STORE, exit codes 0 done / 1 warnings or refused
 * input / 2 failure; and `revoke`'s guard rails (`--dry-run`, confirmation).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { record, testKey } from "cloakroom-sessions/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/commands/index.js";
import { bufferOutput } from "../../src/cli/output.js";
import { run } from "../../src/cli/run.js";
import { handleOf } from "../../src/core/token.js";
import { createStore } from "../../src/stores/create-store.js";

const dir = mkdtempSync(join(tmpdir(), "cloakroom-cli-conv-"));
const url = `sqlite:${join(dir, "sessions.db")}`;
/** An empty session-file-store folder, for `import`; which needs the app's secret. */
const oldSessions = join(dir, "old-sessions");
mkdirSync(oldSessions);
process.env.SESSION_SECRET ??= "a-conventions-test-secret-of-32-bytes-or-more";

async function cli(argv: string[], answer = false) {
  const out = bufferOutput(answer);
  const code = await run(argv, out);
  return { code, ...out };
}

/** A `--json` invocation of each command that succeeds against `url`. */
const JSON_RUNS: Record<string, string[]> = {
  migrate: ["migrate", url],
  schema: ["schema", "sqlite"],
  cleanup: ["cleanup", url],
  sessions: ["sessions", url, "--user", "nobody"],
  revoke: ["revoke", url, "--user", "nobody", "--dry-run"],
  stats: ["stats", url],
  doctor: ["doctor", url],
  import: ["import", "--from", `file:${oldSessions}`, "--to", url, "--dry-run"],
};

beforeAll(async () => {
  expect((await cli(["migrate", url])).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("CLI conventions", () => {
  it("--version prints the package version", async () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8"));
    for (const flag of ["--version", "-v"]) {
      const r = await cli([flag]);
      expect(r.code).toBe(0);
      expect(r.lines).toEqual([pkg.version]);
    }
  });

  it("--help on every command: usage, options and an example, exit 0", async () => {
    for (const [name, command] of Object.entries(COMMANDS)) {
      expect(command.examples?.length, `${name} has an example`).toBeGreaterThan(0);
      for (const argv of [
        [name, "--help"],
        [name, "-h"],
        ["help", name],
      ]) {
        const r = await cli(argv);
        expect(r.code, argv.join(" ")).toBe(0);
        const text = r.lines.join("\n");
        expect(text).toContain(`usage: cloakroom-sessions ${command.usage}`);
        expect(text).toContain("--json");
        expect(text).toMatch(/examples:\n {2}cloakroom-sessions /);
        expect(text).toMatch(/Exit codes: 0 .* 1 .* 2 /);
      }
    }
  });

  it("a bad flag is refused input (exit 1) and points at --help", async () => {
    const r = await cli(["stats", url, "--nope"]);
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/--nope[\s\S]*cloakroom-sessions stats --help/);
  });

  it("--json on every command prints one parsable JSON document", async () => {
    expect(Object.keys(COMMANDS).sort(), "add a --json run for each new command").toEqual(
      Object.keys(JSON_RUNS).sort(),
    );
    for (const [name, argv] of Object.entries(JSON_RUNS)) {
      const r = await cli([...argv, "--json"]);
      expect(r.code, `${name} --json`).toBe(0);
      expect(r.lines, `${name} prints exactly one document`).toHaveLength(1);
      expect(() => JSON.parse(r.lines[0]!), name).not.toThrow();
    }
  });

  it("failures exit 2 and, under --json, are a JSON error document too", async () => {
    const r = await cli(["stats", "oracle://x", "--json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.lines[0]!)).toMatchObject({ error: { code: "BAD_STORE_URL" } });
    expect(r.errors[0]).toMatch(/^BAD_STORE_URL: /);
  });

  it("takes the store URL from SESSION_STORE when none is given", async () => {
    const before = process.env.SESSION_STORE;
    process.env.SESSION_STORE = url;
    try {
      const r = await cli(["stats", "--json"]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.lines[0]!)).toMatchObject({ store: "sqlite" });
    } finally {
      if (before === undefined) delete process.env.SESSION_STORE;
      else process.env.SESSION_STORE = before;
    }
    const none = await cli(["stats"]);
    expect(none.code).toBe(1);
    expect(none.errors[0]).toMatch(/SESSION_STORE/);
  });
});

describe("revoke guard rails", () => {
  async function seed(userId: string, n: number): Promise<string[]> {
    const store = await createStore(url);
    const keys = Array.from({ length: n }, () => testKey());
    for (const k of keys) await store.create(k, record({ userId }));
    await store.close?.();
    return keys;
  }
  async function alive(keys: string[]): Promise<number> {
    const store = await createStore(url);
    let n = 0;
    for (const k of keys) if (await store.get(k, Date.now())) n++;
    await store.close?.();
    return n;
  }

  it("--dry-run lists what would end and ends nothing", async () => {
    const keys = await seed("dry", 3);
    const r = await cli(["revoke", url, "--user", "dry", "--dry-run", "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.lines[0]!) as { dryRun: boolean; revoked: number; sessions: string[] };
    expect(doc.dryRun).toBe(true);
    expect(doc.revoked).toBe(0);
    expect(doc.sessions.sort()).toEqual((await Promise.all(keys.map(handleOf))).sort());
    expect(await alive(keys)).toBe(3);
    const text = await cli(["revoke", url, "--user", "dry", "--dry-run"]);
    expect(text.lines).toEqual(["would revoke 3 sessions of user dry"]);
  });

  it("ending all of a user's sessions needs a confirmation or --yes", async () => {
    const keys = await seed("all", 2);
    const refused = await cli(["revoke", url, "--user", "all"], false);
    expect(refused.code).toBe(1);
    expect(refused.questions[0]).toMatch(/end all 2 live session\(s\) of user all\?/);
    expect(refused.errors[0]).toMatch(/--yes/);
    expect(await alive(keys)).toBe(2);

    const confirmed = await cli(["revoke", url, "--user", "all"], true);
    expect(confirmed.code).toBe(0);
    expect(confirmed.lines).toEqual(["revoked 2 sessions of user all"]);
    expect(await alive(keys)).toBe(0);

    const more = await seed("all", 1);
    const yes = await cli(["revoke", url, "--user", "all", "--yes", "--json"]);
    expect(yes.questions).toEqual([]);
    expect(JSON.parse(yes.lines[0]!)).toMatchObject({ user: "all", dryRun: false, revoked: 1 });
    expect(await alive(more)).toBe(0);
  });

  it("one session by handle needs no confirmation; an unknown handle is refused", async () => {
    const [a, b] = await seed("one", 2);
    const r = await cli(["revoke", url, "--user", "one", "--session", await handleOf(a!)]);
    expect(r.code).toBe(0);
    expect(await alive([a!, b!])).toBe(1);
    const miss = await cli(["revoke", url, "--user", "one", "--session", "nope"]);
    expect(miss.code).toBe(1);
  });
});
