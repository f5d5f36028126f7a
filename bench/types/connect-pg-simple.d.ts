// connect-pg-simple ships no types: the subset the bench uses.
declare module "connect-pg-simple" {
  import type session from "express-session";
  import type { Pool } from "pg";

  interface PgStoreOptions {
    pool: Pool;
    tableName?: string;
    createTableIfMissing?: boolean;
    pruneSessionInterval?: false | number;
  }
  export default function connectPgSimple(
    s: typeof session,
  ): new (
    options: PgStoreOptions,
  ) => session.Store;
}
