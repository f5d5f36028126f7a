/**
 * The demo imports Cloakroom by package name, as a user's app does. Inside the
 * repository those names must resolve to the source files (export condition
 * `cloakroom-source`), never to a stale or missing `dist/`: the module the
 * demo gets is the very module the tests import from `src/`.
 */
import { describe, expect, it } from "vitest";
import * as core from "../../src/index.js";

describe("demo self-reference", () => {
  it("resolves cloakroom-sessions to src/ in tests", async () => {
    const lib = await import("../../examples/demo/lib.js");
    expect(lib.createSessions).toBe(core.createSessions);
    const byName = await import("cloakroom-sessions/express");
    const bySource = await import("../../src/adapters/express/index.js");
    expect(byName.session).toBe(bySource.session);
  });
});
