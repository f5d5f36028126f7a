import { cleanup } from "./cleanup.js";
import type { Command } from "./command.js";
import { doctor } from "./doctor.js";
import { importCommand } from "./import.js";
import { migrate } from "./migrate.js";
import { revoke } from "./revoke.js";
import { schema } from "./schema.js";
import { sessions } from "./sessions.js";
import { stats } from "./stats.js";

export const COMMANDS: Record<string, Command> = {
  migrate,
  schema,
  cleanup,
  sessions,
  revoke,
  stats,
  doctor,
  import: importCommand,
};
