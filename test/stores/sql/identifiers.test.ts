/** Table names reach SQL text only after a strict check, and then quoted. */
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../src/core/errors.js";
import { mysqlDialect } from "../../../src/stores/sql/dialects/mysql.js";
import { postgresDialect } from "../../../src/stores/sql/dialects/postgres.js";
import { sqliteDialect } from "../../../src/stores/sql/dialects/sqlite.js";
import { createSqliteStore } from "../../../src/stores/sqlite/index.js";

const hostile = [
  "",
  "1sessions",
  "sessions;DROP TABLE users",
  'ses"sions',
  "ses`sions",
  "ses sions",
  "sessions--",
  "séssions",
  "a".repeat(64),
  "a.b.c",
  ".sessions",
  "sessions.",
];

describe("SQL table names", () => {
  it("refuses anything but a plain identifier, on every dialect", () => {
    for (const d of [sqliteDialect, postgresDialect, mysqlDialect]) {
      for (const name of hostile)
        expect(() => d.names(name), `${d.name}: ${name}`).toThrow(ConfigurationError);
    }
  });

  it("accepts schema.table on PostgreSQL only", () => {
    expect(postgresDialect.names("auth.sessions").table).toBe('"auth"."sessions"');
    expect(postgresDialect.names("auth.sessions").migrations).toBe('"auth"."cloakroom_migrations"');
    expect(() => sqliteDialect.names("auth.sessions")).toThrow(ConfigurationError);
    expect(() => mysqlDialect.names("auth.sessions")).toThrow(ConfigurationError);
  });

  it("quotes accepted names in the dialect's quotes", () => {
    expect(sqliteDialect.names("Sessions_2").table).toBe('"Sessions_2"');
    expect(mysqlDialect.names("Sessions_2").table).toBe("`Sessions_2`");
    expect(postgresDialect.names("a".repeat(63)).table).toBe(`"${"a".repeat(63)}"`);
  });

  it("keeps derived index names within 63 characters and distinct", () => {
    const long = "s".repeat(63);
    const a = postgresDialect.names(long).index("user_id_idx");
    const b = postgresDialect.names(long).index("idle_expires_at_idx");
    expect(a.length - 2).toBeLessThanOrEqual(63);
    expect(b.length - 2).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
  });

  it("a store refuses a bad table before touching the database", async () => {
    await expect(
      createSqliteStore({ path: ":memory:", table: "x; DROP TABLE y" }),
    ).rejects.toBeInstanceOf(ConfigurationError);
  });
});
