/**
 * The worked example of docs/writing-a-store.md passes the same conformance
 * kit as the built-in stores, imported the way a store author would: the
 * test file the doc shows (examples/stores/map-store.conformance.ts) is the
 * one that runs here.
 */
import "../../examples/stores/map-store.conformance.js";
