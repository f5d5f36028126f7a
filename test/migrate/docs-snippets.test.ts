/**
 * docs/migrating.md's snippets are real files: each `ts` block starting with
 * `// examples/migrating/<file>` must equal that file, every file there must
 * be shown, and the files must type-check against the package's own types.
 * The README links the page from its first screen.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const dir = join(root, "examples/migrating");
const doc = readFileSync(join(root, "docs/migrating.md"), "utf8");

describe("docs/migrating.md", () => {
  it("shows every snippet file exactly as it is", () => {
    const blocks = [
      ...doc.matchAll(/```ts\n(\/\/ examples\/migrating\/([\w.-]+\.ts)[^\n]*\n[\s\S]*?)```/g),
    ];
    const shown = new Map(blocks.map((m) => [m[2]!, m[1]!]));
    const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThanOrEqual(6);
    expect([...shown.keys()].sort()).toEqual(files.sort());
    for (const f of files) {
      expect(shown.get(f)!.trimEnd(), f).toBe(readFileSync(join(dir, f), "utf8").trimEnd());
    }
  });

  it("covers the options and calls the issue names", () => {
    for (const word of [
      "resave",
      "saveUninitialized",
      "rolling",
      "cookie.maxAge",
      "genid",
      "proxy",
      "unset",
      "regenerate(cb)",
      "destroy(cb)",
      "save(cb)",
      "touch()",
      "SESSION_TYPE",
      "PERMANENT_SESSION_LIFETIME",
      "SESSION_USE_SIGNER",
      "rows/s",
    ]) {
      expect(doc, word).toContain(word);
    }
  });

  it("type-checks every snippet", () => {
    const configFile = ts.readConfigFile(join(root, "tsconfig.json"), ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".ts"))
      .map((f) => join(dir, f));
    const program = ts.createProgram(files, { ...parsed.options, noEmit: true });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || d.file.fileName.includes("examples/migrating"));
    const text = diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(text).toEqual([]);
  }, 120_000);

  it("is linked from the README's first screen", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const firstScreen = readme.split("\n").slice(0, 30).join("\n");
    expect(firstScreen).toContain("(docs/migrating.md)");
  });
});
