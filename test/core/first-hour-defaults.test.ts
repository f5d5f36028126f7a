/**
 * What a newcomer meets in the first minutes (issue 14): an unset
 * SESSION_SECRET is a ConfigurationError that says so, a comma-separated
 * variable is a rotation list, no `store` means a memory store with one
 * notice outside production (refused in production), and DEBUG=cloakroom
 * shows the load, cookie and commit decisions.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { debugEnabled } from "../../src/core/environment.js";
import { ConfigurationError } from "../../src/core/errors.js";
import { createSessions } from "../../src/core/manager.js";
import { MemoryStore } from "../../src/stores/memory/index.js";

const A = "a".repeat(32);
const B = "b".repeat(32);

function withEnv(name: string, value: string | undefined, fn: () => void | Promise<void>) {
  const before = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  const restore = () => {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  };
  try {
    const r = fn();
    if (r instanceof Promise) return r.finally(restore);
    restore();
  } catch (err) {
    restore();
    throw err;
  }
}

afterEach(() => vi.restoreAllMocks());

describe("secrets", () => {
  it("undefined (an unset variable) is a ConfigurationError naming SESSION_SECRET", () => {
    const unset: string | undefined = process.env.CLOAKROOM_TEST_UNSET_SECRET;
    expect(() => createSessions({ store: new MemoryStore(), secrets: unset })).toThrow(
      ConfigurationError,
    );
    expect(() => createSessions({ store: new MemoryStore(), secrets: unset })).toThrow(
      /secrets is undefined.*SESSION_SECRET/,
    );
    expect(() => createSessions({ store: new MemoryStore(), secrets: "" })).toThrow(
      /empty string.*SESSION_SECRET/,
    );
  });

  it("one comma-separated string is a rotation list: first signs, all verify", async () => {
    const store = new MemoryStore();
    const old = createSessions({ store, secrets: B });
    const s = await old.load({ cookie: undefined, encrypted: false });
    s.set("k", 1);
    const cookie = (await old.commit(s)).setCookie!.split(";")[0]!;
    const rotated = createSessions({ store, secrets: `${A},${B}` });
    const again = await rotated.load({ cookie, encrypted: false });
    expect(again.get("k")).toBe(1);
    // Verified by the second secret: re-issued under the first.
    expect((await rotated.commit(again)).setCookie).not.toBeNull();
    const onlyNew = createSessions({ store, secrets: A });
    expect((await onlyNew.load({ cookie, encrypted: false })).get("k")).toBeUndefined();
  });
});

describe("no store given", () => {
  it("outside production: a memory store, and the notice is printed once", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    await withEnv("NODE_ENV", "development", async () => {
      const m1 = createSessions({ secrets: A });
      createSessions({ secrets: A });
      expect(m1.options.store.kind).toBe("memory");
      const s = await m1.load({ cookie: undefined, encrypted: false });
      s.set("works", true);
      expect((await m1.commit(s)).setCookie).toMatch(/^cloakroom=/);
    });
    const notices = warn.mock.calls.filter((c) => String(c[0]).includes("no store given"));
    expect(notices.length).toBeLessThanOrEqual(1); // once per process; an earlier test may have printed it
  });

  it("in production: refused with a ConfigurationError that says what to pass", async () => {
    await withEnv("NODE_ENV", "production", () => {
      expect(() => createSessions({ secrets: A })).toThrow(ConfigurationError);
      expect(() => createSessions({ secrets: A })).toThrow(/NODE_ENV is production.*createStore/);
    });
  });
});

describe("DEBUG=cloakroom", () => {
  it("parses DEBUG like the debug package", () => {
    expect(debugEnabled(undefined)).toBe(false);
    expect(debugEnabled("cloakroom")).toBe(true);
    expect(debugEnabled("cloakroom*")).toBe(true);
    expect(debugEnabled("*")).toBe(true);
    expect(debugEnabled("express:*,cloakroom")).toBe(true);
    expect(debugEnabled("express:*")).toBe(false);
    expect(debugEnabled("*,-cloakroom")).toBe(false);
  });

  it("logs the load, cookie and commit decisions to stderr", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((m: unknown) => {
      lines.push(String(m));
    });
    await withEnv("DEBUG", "cloakroom", async () => {
      const m = createSessions({ store: new MemoryStore(), secrets: A });
      const s = await m.load({ cookie: undefined, encrypted: false });
      s.set("k", 1);
      await m.commit(s);
      await m.load({ cookie: "cloakroom=forged.value.here", encrypted: false });
    });
    const text = lines.join("\n");
    expect(text).toMatch(/cloakroom: load: cookie cloakroom absent; request not secure/);
    expect(text).toMatch(/cloakroom: commit: session created.*Set-Cookie cloakroom=…; /);
    expect(text).toMatch(/cookie ignored: malformed or bad signature/);
    expect(text).not.toMatch(/cloakroom=[A-Za-z0-9_-]{20,}/); // never the token itself
  });

  it("is silent without DEBUG", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    await withEnv("DEBUG", undefined, async () => {
      const m = createSessions({ store: new MemoryStore(), secrets: A });
      const s = await m.load({ cookie: undefined, encrypted: false });
      s.set("k", 1);
      await m.commit(s);
    });
    expect(error).not.toHaveBeenCalled();
  });
});
