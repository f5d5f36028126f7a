/**
 * Table names come from configuration, not from users, but they still end up
 * inside SQL text (identifiers cannot be bound as parameters). So they are
 * validated against a strict pattern first, then quoted: an identifier that
 * passes cannot close its quotes or smuggle in a statement.
 */
import { ConfigurationError } from "../../core/errors.js";
import type { SqlNames } from "./types.js";

/**
 * A plain identifier: a letter or `_`, then letters, digits or `_`, 63
 * characters at most (PostgreSQL's NAMEDATALEN - 1, and under MySQL's 64).
 */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The default sessions table. */
export const DEFAULT_TABLE = "cloakroom_sessions";
/** The table where applied migrations are recorded, one row per sessions table and version. */
export const MIGRATIONS_TABLE = "cloakroom_migrations";

/** Splits and checks `table` or, when `allowSchema`, `schema.table`. */
export function parseTableName(
  value: string,
  allowSchema: boolean,
): { schema: string | null; table: string } {
  const parts = typeof value === "string" ? value.split(".") : [];
  const ok =
    parts.length >= 1 &&
    parts.length <= (allowSchema ? 2 : 1) &&
    parts.every((p) => IDENTIFIER.test(p));
  if (!ok) {
    const shape = allowSchema ? "name or schema.name" : "name";
    throw new ConfigurationError(
      `invalid SQL table ${JSON.stringify(value)}: expected a ${shape} of letters, digits and _ (not starting with a digit, at most 63 characters)`,
    );
  }
  return parts.length === 2
    ? { schema: parts[0]!, table: parts[1]! }
    : { schema: null, table: parts[0]! };
}

/**
 * Builds {@link SqlNames} for a dialect from its quote character. Index names
 * are derived from the table name; where a derived name would pass 63
 * characters it is shortened with a hash suffix so that it stays unique and
 * PostgreSQL does not truncate it silently.
 */
export function buildNames(value: string, allowSchema: boolean, quoteChar: '"' | "`"): SqlNames {
  const { schema, table } = parseTableName(value, allowSchema);
  const q = (id: string) => `${quoteChar}${id}${quoteChar}`;
  const qualify = (id: string) => (schema === null ? q(id) : `${q(schema)}.${q(id)}`);
  return {
    table: qualify(table),
    migrations: qualify(MIGRATIONS_TABLE),
    counters: qualify(shorten(`${table}_counters`)),
    raw: value,
    index: (suffix) => q(shorten(`${table}_${suffix}`)),
  };
}

function shorten(name: string): string {
  if (name.length <= 63) return name;
  // FNV-1a: stable across runs and processes, enough to keep derived names apart.
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return `${name.slice(0, 54)}_${h.toString(16).padStart(8, "0")}`;
}
