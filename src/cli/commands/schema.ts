import { BadStoreUrlError } from "../../core/errors.js";
import type { Command } from "./command.js";

const DIALECTS = ["sqlite", "postgres", "mysql"] as const;
type Dialect = (typeof DIALECTS)[number];

export const schema: Command = {
  usage: "schema <sqlite|postgres|mysql> [--table name]",
  summary: "print the schema SQL, for your own migration tool",
  options: { table: { type: "string" } },
  async run([dialect], values, out) {
    if (!DIALECTS.includes(dialect as Dialect)) {
      out.error(`give a dialect: ${DIALECTS.join(", ")}`);
      return 1;
    }
    const sql = (await import("../../stores/sql/index.js")) as {
      migrationSql?: (d: Dialect, o?: { table?: string }) => string;
    };
    if (!sql.migrationSql) throw new BadStoreUrlError("this build has no SQL schema");
    const table = typeof values.table === "string" ? values.table : undefined;
    out.info(sql.migrationSql(dialect as Dialect, table ? { table } : {}));
    return 0;
  },
};
