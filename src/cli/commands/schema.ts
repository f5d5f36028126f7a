import { migrationSql, type SqlDialectName } from "../../stores/sql/index.js";
import type { Command } from "./command.js";

const DIALECTS: readonly SqlDialectName[] = ["sqlite", "postgres", "mysql"];

export const schema: Command = {
  usage: "schema <sqlite|postgres|mysql> [--table name]",
  summary: "print the schema SQL, for your own migration tool",
  options: { table: { type: "string" } },
  async run([dialect], values, out) {
    if (!DIALECTS.includes(dialect as SqlDialectName)) {
      out.error(`give a dialect: ${DIALECTS.join(", ")}`);
      return 1;
    }
    const table = typeof values.table === "string" ? values.table : undefined;
    out.info(migrationSql(dialect as SqlDialectName, table ? { table } : {}));
    return 0;
  },
};
