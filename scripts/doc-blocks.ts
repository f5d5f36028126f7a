/**
 * Code blocks in README.md and docs/*.md that are copies of files: a block
 * preceded by `<!-- file: examples/… -->` must be that file, byte for byte, so
 * the docs show only code that CI type-checks (and, for examples/<app>, runs:
 * `npm run test:pack`). `tsx scripts/doc-blocks.ts --write` copies the files
 * into the docs after editing them.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..");

export interface DocBlock {
  doc: string;
  line: number;
  lang: string;
  /** The file the block copies, when marked. */
  file: string | null;
  code: string;
  /** Where the code sits in the document's text, for rewriting. */
  start: number;
  end: number;
}

export function docFiles(): string[] {
  return [
    "README.md",
    ...readdirSync(join(ROOT, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
  ];
}

export function blocksOf(doc: string, text = readFileSync(join(ROOT, doc), "utf8")): DocBlock[] {
  const blocks: DocBlock[] = [];
  const re = /(?:<!-- file: (\S+) -->\n)?```(\w*)\n([\s\S]*?)^```$/gm;
  for (const m of text.matchAll(re)) {
    const codeStart = m.index + m[0].indexOf("\n", m[0].indexOf("```")) + 1;
    blocks.push({
      doc,
      line: text.slice(0, m.index).split("\n").length,
      lang: m[2] ?? "",
      file: m[1] ?? null,
      code: m[3] ?? "",
      start: codeStart,
      end: codeStart + (m[3] ?? "").length,
    });
  }
  return blocks;
}

/** Blocks of program code (TypeScript/JavaScript), the ones that must come from files. */
export const isProgram = (b: DocBlock) => /^(ts|typescript|js|javascript|tsx)$/.test(b.lang);

if (process.argv.includes("--write")) {
  for (const doc of docFiles()) {
    let text = readFileSync(join(ROOT, doc), "utf8");
    for (const b of blocksOf(doc, text).reverse()) {
      if (b.file === null) continue;
      text = text.slice(0, b.start) + readFileSync(join(ROOT, b.file), "utf8") + text.slice(b.end);
    }
    writeFileSync(join(ROOT, doc), text);
  }
}
