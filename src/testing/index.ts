/**
 * `cloakroom-sessions/testing`: the conformance kit. The suites Cloakroom's
 * own stores and adapters pass, as functions called from a Vitest test file,
 * so a store for another database, or an adapter for another framework, is
 * proved the way the built-in ones are. Vitest is an optional peer
 * dependency; this entry point loads only inside Vitest.
 * @example
 * // test/my-store.test.ts
 * import { storeConformance } from "cloakroom-sessions/testing";
 * storeConformance("my store", { open: async () => new MyStore(process.env.MY_URL!) });
 * @example
 * // test/my-adapter.test.ts
 * import { adapterConformance } from "cloakroom-sessions/testing";
 * await adapterConformance("koa", async ({ manager }) => startKoaApp(manager));
 */
export {
  ADAPTER_SUITE_SECRET,
  type AdapterApp,
  type AdapterConformanceOptions,
  type AdapterStore,
  adapterConformance,
  type SkippedStore,
  type StartApp,
  type SuiteContext,
} from "./adapter-suite.js";
export { attributes, Client, listHas, type Reply, type RequestOptions } from "./http-client.js";
export { InstrumentedStore, type Method, WRITES } from "./instrumented-store.js";
export {
  record,
  type StoreFactory,
  storeConformance,
  testKey,
  testUser,
  touchOnly,
} from "./store-suite.js";
