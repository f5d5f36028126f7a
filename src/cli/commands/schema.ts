import { migrationSql, migrationStatements, type SqlDialectName } from "../../stores/sql/index.js";
import type { Command } from "./command.js";
import { EXIT } from "./command.js";

const DIALECTS: readonly SqlDialectName[] = ["sqlite", "postgres", "mysql"];

export const schema: Command = {
  usage: "schema <sqlite|postgres|mysql> [--table name]",
  summary: "print the schema SQL, for your own migration tool",
  examples: ["schema postgres", "schema mysql --table app_sessions", "schema sqlite --json"],
  options: { table: { type: "string", help: "table name (default cloakroom_sessions)" } },
  async run([dialect], values, out) {
    if (!DIALECTS.includes(dialect as SqlDialectName)) {
      out.error(`give a dialect: ${DIALECTS.join(", ")}`);
      return EXIT.WARN;
    }
    const table = typeof values.table === "string" ? values.table : undefined;
    const options = table ? { table } : {};
    if (values.json) {
      const statements = migrationStatements(dialect as SqlDialectName, options);
      out.json({ dialect, statements });
    } else out.info(migrationSql(dialect as SqlDialectName, options));
    return EXIT.OK;
  },
};
