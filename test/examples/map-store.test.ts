/**
 * The worked example of docs/writing-a-store.md passes the same conformance
 * kit as the built-in stores, imported the way a store author would.
 */
import { storeConformance } from "cloakroom-sessions/testing";
import { MapStore } from "../../examples/stores/map-store.js";

storeConformance("map (examples/stores/map-store.ts)", { open: async () => new MapStore() });
