/**
 * `npx cloakroom-sessions <command>`: migrations, schema, cleanup, listing and revoking
 * sessions, stats. One file per command in ./commands.
 */
import { parseArgs } from "node:util";
import { isCloakroomError } from "../core/errors.js";
import { COMMANDS } from "./commands/index.js";
import { consoleOutput, type Output } from "./output.js";

export async function run(argv: string[], out: Output = consoleOutput()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    out.info(usage());
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    out.error(`unknown command "${name}"\n\n${usage()}`);
    return 1;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: command.options ?? {},
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    out.error(`${(err as Error).message}\n\nusage: cloakroom-sessions ${command.usage}`);
    return 1;
  }
  try {
    return await command.run(
      parsed.positionals,
      parsed.values as Record<string, string | boolean | undefined>,
      out,
    );
  } catch (err) {
    if (isCloakroomError(err)) {
      out.error(`${err.code}: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(
    ([, c]) => `  cloakroom-sessions ${c.usage.padEnd(52)} ${c.summary}`,
  );
  return `usage:\n${lines.join("\n")}\n\nStore URLs: memory: sqlite:./file.db postgres://… mysql://… redis://… (see README).`;
}
