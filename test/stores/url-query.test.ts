/**
 * A typo in a store URL's query is an error at start-up naming the accepted
 * parameters (issue 14: `?keyPrefx=` used to be silently ignored).
 */
import { describe, expect, it } from "vitest";
import { BadStoreUrlError } from "../../src/core/errors.js";
import { createStore } from "../../src/stores/create-store.js";

describe("unknown query parameters", () => {
  it.each([
    [
      "redis://127.0.0.1:6379/0?keyPrefx=app:",
      /redis: unknown query parameter "keyPrefx" \(did you mean "keyPrefix"\?\)/,
    ],
    [
      "sqlite::memory:?tabel=s",
      /sqlite: unknown query parameter "tabel" \(did you mean "table"\?\)/,
    ],
    ["memory:?maxx=5", /memory: unknown query parameter "maxx" \(did you mean "max"\?\)/],
    ["memcached://127.0.0.1:11211?prefx=a", /memcached: unknown query parameter "prefx"/],
  ])("%s is refused before connecting", async (url, message) => {
    const err = await createStore(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadStoreUrlError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toMatch(/accepted: /);
  });

  it("known parameters still work", async () => {
    const s = await createStore("memory:?max=5");
    await s.close();
    const q = await createStore("sqlite::memory:?table=t_fh&migrate=1");
    await q.close();
  });
});
