/**
 * `cloakroom-sessions/testing`: the conformance kit. The suite Cloakroom's own
 * stores pass, as a function a store author calls from a Vitest test file, so
 * a store for another database is proved the way the built-in ones are.
 * Vitest is an optional peer dependency; this entry point loads only inside
 * Vitest.
 * @example
 * // test/my-store.test.ts
 * import { storeConformance } from "cloakroom-sessions/testing";
 * storeConformance("my store", { open: async () => new MyStore(process.env.MY_URL!) });
 */
export {
  record,
  type StoreFactory,
  storeConformance,
  testKey,
  testUser,
  touchOnly,
} from "./store-suite.js";
