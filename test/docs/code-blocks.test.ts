/**
 * Every program in the README is a file CI checks, shown verbatim (issue 14):
 * a marked block (`<!-- file: … -->`) equals its file. The docs/ pages are
 * held to the same rule by a ratchet: their unmarked blocks may only get
 * fewer (the list below names the ones still retyped by hand).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { blocksOf, docFiles, isProgram, ROOT } from "../../scripts/doc-blocks.js";

/** Unmarked program blocks in docs/: none is left; every block comes from a checked file. */
const UNMARKED_IN_DOCS_AT_MOST = 0;

describe("code blocks in the docs", () => {
  const blocks = docFiles().flatMap((d) => blocksOf(d));

  it("every marked block is its file, byte for byte (npx tsx scripts/doc-blocks.ts --write)", () => {
    const marked = blocks.filter((b) => b.file !== null);
    expect(marked.length).toBeGreaterThan(0);
    for (const b of marked) {
      expect(existsSync(join(ROOT, b.file!)), `${b.doc}:${b.line} → ${b.file}`).toBe(true);
      expect(b.code, `${b.doc}:${b.line} differs from ${b.file}`).toBe(
        readFileSync(join(ROOT, b.file!), "utf8"),
      );
      expect(b.file, "only checked files: examples/").toMatch(/^examples\//);
    }
  });

  it("the README retypes no program: each comes from a checked file", () => {
    const loose = blocks.filter((b) => b.doc === "README.md" && isProgram(b) && b.file === null);
    expect(loose.map((b) => `README.md:${b.line}`)).toEqual([]);
  });

  it("docs/ pages: unmarked program blocks only get fewer", () => {
    const loose = blocks.filter((b) => b.doc !== "README.md" && isProgram(b) && b.file === null);
    expect(
      loose.length,
      `unmarked: ${loose.map((b) => `${b.doc}:${b.line}`).join(", ")}`,
    ).toBeLessThanOrEqual(UNMARKED_IN_DOCS_AT_MOST);
  });

  it("no doc shows a command that could fetch another package", () => {
    for (const doc of docFiles()) {
      const text = readFileSync(join(ROOT, doc), "utf8");
      expect(text, doc).not.toMatch(
        /npx cloakroom(?!-sessions)\b|npm (?:i|install) cloakroom(?![-\w])/,
      );
      expect(text, doc).not.toMatch(/from "cloakroom(?:\/[^"]*)?"/);
    }
  });
});
