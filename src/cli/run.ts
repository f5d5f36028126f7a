/**
 * `npx cloakroom-sessions <command>`: migrations, schema, cleanup, listing and
 * revoking sessions, stats. One file per command in ./commands; this file
 * owns what every command shares: `--help`, `--json`, `--version`, and the
 * exit codes (0 done, 1 warnings or refused input, 2 failure — {@link EXIT}).
 */
import { createRequire } from "node:module";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { isCloakroomError } from "../core/errors.js";
import { type Command, EXIT } from "./commands/command.js";
import { COMMANDS } from "./commands/index.js";
import { consoleOutput, type Output } from "./output.js";

const PROGRAM = "cloakroom-sessions";

/** Options every command accepts. */
const COMMON: Record<string, { type: "boolean"; short?: string; help: string }> = {
  json: { type: "boolean", help: "print one JSON document on stdout (errors too)" },
  help: { type: "boolean", short: "h", help: "show this help" },
};

export async function run(argv: string[], out: Output = consoleOutput()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-v" || name === "version") {
    out.info(version());
    return EXIT.OK;
  }
  if (name === undefined) {
    out.error(usage());
    return EXIT.WARN;
  }
  if (name === "help" || name === "--help" || name === "-h") {
    const topic = rest[0];
    if (topic === undefined) {
      out.info(usage());
      return EXIT.OK;
    }
    const command = COMMANDS[topic];
    if (!command) return unknown(topic, out);
    out.info(commandHelp(command));
    return EXIT.OK;
  }
  const command = COMMANDS[name];
  if (!command) return unknown(name, out);

  const jsonMode = rest.includes("--json");
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...parseArgsOptions(command), ...COMMON },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    const message = (err as Error).message;
    if (jsonMode) out.json({ error: { code: "BAD_ARGUMENTS", message } });
    out.error(`${message}\n\nusage: ${PROGRAM} ${command.usage}\n(${PROGRAM} ${name} --help)`);
    return EXIT.WARN;
  }
  if (parsed.values.help === true) {
    out.info(commandHelp(command));
    return EXIT.OK;
  }
  try {
    return await command.run(
      parsed.positionals,
      parsed.values as Record<string, string | boolean | undefined>,
      out,
    );
  } catch (err) {
    const code = isCloakroomError(err) ? err.code : "FAILED";
    const message = describe(err);
    if (jsonMode) out.json({ error: { code, message } });
    out.error(`${code}: ${message}`);
    return EXIT.FAIL;
  }
}

function parseArgsOptions(command: Command): NonNullable<ParseArgsConfig["options"]> {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const [name, o] of Object.entries(command.options ?? {})) {
    options[name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  }
  return options;
}

/** The message, with the chain of causes: the real reason is often one level down. */
function describe(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const m = e instanceof Error ? e.message : String(e);
    if (m && !parts.some((p) => p.includes(m))) parts.push(m);
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join(" (cause: ") + ")".repeat(Math.max(0, parts.length - 1));
}

function unknown(name: string, out: Output): number {
  out.error(`unknown command "${name}"\n\n${usage()}`);
  return EXIT.WARN;
}

function version(): string {
  // ../../package.json from both src/cli (tsx) and dist/cli (the published bin).
  const pkg = createRequire(import.meta.url)("../../package.json") as { version: string };
  return pkg.version;
}

function usage(): string {
  const lines = Object.values(COMMANDS).map(
    (c) => `  ${PROGRAM} ${c.usage.padEnd(52)} ${c.summary}`,
  );
  return [
    `usage: ${PROGRAM} <command> [options]`,
    "",
    ...lines,
    "",
    `  ${PROGRAM} <command> --help    options and examples of one command`,
    `  ${PROGRAM} --version`,
    "",
    "Every command takes --json. The store URL defaults to $SESSION_STORE.",
    "Store URLs: memory: sqlite:./file.db postgres://… mysql://… redis://… (see README).",
    "Exit codes: 0 healthy or done, 1 warnings or refused input, 2 failure.",
  ].join("\n");
}

function commandHelp(command: Command): string {
  const options = { ...command.options, ...COMMON };
  const flag = (n: string, o: { type: string; short?: string }) =>
    `${o.short ? `-${o.short}, ` : ""}--${n}${o.type === "string" ? " <value>" : ""}`;
  const width = Math.max(...Object.entries(options).map(([n, o]) => flag(n, o).length));
  const lines = [
    `usage: ${PROGRAM} ${command.usage}`,
    "",
    command.summary,
    "",
    "options:",
    ...Object.entries(options).map(([n, o]) =>
      `  ${flag(n, o).padEnd(width)}  ${"help" in o && o.help ? o.help : ""}`.trimEnd(),
    ),
  ];
  if (command.examples?.length) {
    lines.push("", "examples:", ...command.examples.map((e) => `  ${PROGRAM} ${e}`));
  }
  lines.push(
    "",
    "The store URL defaults to $SESSION_STORE.",
    "Exit codes: 0 done, 1 warnings or refused input, 2 failure.",
  );
  return lines.join("\n");
}
