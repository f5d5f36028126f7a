/** Options of the file store (`createFileStore`, or `createStore("file:…", options)`). */
export interface FileStoreOptions {
  /** Directory holding the sessions; created (mode 0700) when missing. @example "./data/sessions" */
  dir: string;
  /** fsync each file and its directory on write, so an acknowledged write survives a crash. @default true */
  fsync?: boolean;
  /** How long an operation waits for another process's lock on the same session, ms. @default 2000 */
  lockTimeout?: number;
  /** A lock or temp file older than this was left by a crash and is removed, ms. @default 10000 */
  staleAfter?: number;
  /** How often expired files are swept, ms; 0 disables the sweep (use `npx cloakroom-sessions cleanup`). @default 600000 */
  sweepInterval?: number;
  /** Clock used by the sweep. @default Date.now */
  now?: () => number;
}
