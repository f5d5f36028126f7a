/**
 * Tests of what ships: the exports map points at built files that load, and
 * every package the source imports is declared — drivers as optional peers
 * only, never also in dependencies.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  exports: Record<string, string | { types: string; default: string }>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  bin?: Record<string, string>;
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

describe("package", () => {
  beforeAll(() => {
    if (!existsSync(join(root, "dist/index.js")) || process.env.CLOAKROOM_REBUILD === "1") {
      execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
    }
  }, 180_000);

  it("maps every export to a built module and its types", async () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === "string") continue;
      expect(existsSync(join(root, target.default)), `${subpath} → ${target.default}`).toBe(true);
      expect(existsSync(join(root, target.types)), `${subpath} → ${target.types}`).toBe(true);
      const mod = (await import(join(root, target.default))) as Record<string, unknown>;
      expect(Object.keys(mod).length, `${subpath} exports something`).toBeGreaterThan(0);
    }
  });

  it("loads every entry point through require() (CommonJS apps), by its package name", () => {
    // The testing kit runs only inside Vitest: importing vitest anywhere else throws by design.
    const subpaths = Object.keys(pkg.exports).filter(
      (s) => s !== "./package.json" && s !== "./testing",
    );
    // A separate CommonJS process: the package resolves itself by name from the repo root.
    // A top-level await anywhere in an entry point's graph fails here (ERR_REQUIRE_ASYNC_MODULE).
    const script = `for (const s of ${JSON.stringify(subpaths)}) {
      const name = "cloakroom-sessions" + s.slice(1);
      const n = Object.keys(require(name)).length;
      if (n === 0) throw new Error(name + " exports nothing through require()");
      console.log(name, n);
    }`;
    const out = execFileSync("node", ["--input-type=commonjs", "-e", script], {
      cwd: root,
      encoding: "utf8",
    });
    expect(out.trim().split("\n")).toHaveLength(subpaths.length);
  });

  it("has a CLI entry that runs", () => {
    const bin = join(root, pkg.bin!["cloakroom-sessions"]!);
    expect(readFileSync(bin, "utf8").startsWith("#!/usr/bin/env node")).toBe(true);
    const out = execFileSync("node", [bin, "help"], { encoding: "utf8" });
    expect(out).toContain("cloakroom-sessions migrate");
  });

  it("declares every imported package; drivers only as optional peers", () => {
    const deps = new Set(Object.keys(pkg.dependencies ?? {}));
    const peers = new Set(Object.keys(pkg.peerDependencies ?? {}));
    const imported = new Set<string>();
    for (const file of sourceFiles(join(root, "src"))) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/(?:^|\n)\s*import\s+(?!type\b)[^;]*?from\s+"([^".][^"]*)"/g))
        imported.add(packageOf(m[1]!));
      for (const m of text.matchAll(/(?:importDriver|requireDriver)(?:<[^>]*>)?\(\s*"([^"]+)"/g))
        imported.add(packageOf(m[1]!));
      for (const m of text.matchAll(/\bimport\(\s*"([^".][^"]*)"\s*\)/g))
        imported.add(packageOf(m[1]!));
    }
    for (const name of imported) {
      if (name.startsWith("node:")) continue;
      expect(deps.has(name) || peers.has(name), `${name} is imported but not declared`).toBe(true);
      if (peers.has(name)) {
        expect(deps.has(name), `${name} is both a dependency and a peer`).toBe(false);
        expect(pkg.peerDependenciesMeta?.[name]?.optional, `${name} peer must be optional`).toBe(
          true,
        );
      }
    }
    expect(imported.has("cookie")).toBe(true);
  });
});
