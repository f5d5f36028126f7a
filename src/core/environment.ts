/**
 * What the core reads from the environment, in one place, without assuming
 * Node: `process` may not exist (workers, Deno without compat), so it is
 * reached through `globalThis`.
 */
export function env(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[
    name
  ];
}

/**
 * Whether `DEBUG` names Cloakroom, in the syntax of the `debug` package:
 * comma- or space-separated patterns, `*` as a wildcard, `-name` to exclude.
 * `DEBUG=cloakroom`, `DEBUG=cloakroom*` and `DEBUG=*` all turn it on.
 */
export function debugEnabled(value = env("DEBUG")): boolean {
  if (!value) return false;
  let on = false;
  for (const raw of value.split(/[\s,]+/)) {
    if (!raw) continue;
    const negate = raw.startsWith("-");
    const pattern = negate ? raw.slice(1) : raw;
    const re = new RegExp(
      `^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`,
    );
    if (re.test("cloakroom") || re.test("cloakroom:session")) on = !negate;
    if (negate && re.test("cloakroom")) return false;
  }
  return on;
}
