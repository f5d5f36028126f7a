/**
 * The README's error table lists exactly the error classes the package
 * exports (core and auth), each with the `code` and `status` it really has.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as core from "cloakroom-sessions";
import * as auth from "cloakroom-sessions/auth";
import { expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");

function exportedErrors(): Map<string, { code: string; status: number }> {
  const out = new Map<string, { code: string; status: number }>();
  for (const [name, value] of Object.entries({ ...core, ...auth })) {
    if (typeof value !== "function" || value === core.CloakroomError) continue;
    if (!(value.prototype instanceof core.CloakroomError)) continue;
    // Every constructor takes at most two arguments; the code and status do not depend on them.
    const err = new (value as new (a: unknown, b: unknown) => core.CloakroomError)("x", "y");
    out.set(name, { code: err.code, status: err.status });
  }
  return out;
}

function readmeErrors(): Map<string, { code: string; status: number }> {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.split("\n## Errors\n")[1]?.split("\n## ")[0] ?? "";
  const out = new Map<string, { code: string; status: number }>();
  for (const m of section.matchAll(/^\|\s*`(\w+)`\s*\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})/gm)) {
    out.set(m[1]!, { code: m[2]!, status: Number(m[3]) });
  }
  return out;
}

it("README's error table equals the exported error classes, codes and statuses", () => {
  const exported = exportedErrors();
  expect(exported.size).toBeGreaterThanOrEqual(9);
  expect(Object.fromEntries(readmeErrors())).toEqual(Object.fromEntries(exported));
});
