// connect-pg-simple ships no types; the part the tests use.
declare module "connect-pg-simple" {
  import type session from "express-session";
  import type { Pool } from "pg";

  interface PgStoreOptions {
    pool: Pool;
    tableName?: string;
    schemaName?: string;
    createTableIfMissing?: boolean;
    pruneSessionInterval?: number | false;
  }
  type PgStoreClass = new (options: PgStoreOptions) => session.Store & { close(): Promise<void> };
  export default function connectPgSimple(s: typeof session): PgStoreClass;
}
