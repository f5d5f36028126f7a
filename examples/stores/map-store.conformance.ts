// Run by Vitest (test/examples/map-store.test.ts imports this file).
import { storeConformance } from "cloakroom-sessions/testing";
import { MapStore } from "./map-store.js";

storeConformance("map store", {
  open: async () => new MapStore(),
  // cleanup: async () => { /* drop what the suite wrote, if its keys are not random enough */ },
});
