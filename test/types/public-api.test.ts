/**
 * Type tests of the public API (issue 12 "typed session data", issue 14
 * "types"): checked by `tsc` (npm run typecheck) through `@ts-expect-error`
 * and `expectTypeOf`, and run by vitest so a stale file shows up. The
 * augmentation uses keys no other test touches, because it is global to the
 * program.
 */
import {
  createSessions,
  createStore,
  type Duration,
  type JsonValue,
  type Session,
  type SessionOptions,
  type SessionStore,
} from "cloakroom-sessions";
import type { LoginInput } from "cloakroom-sessions/auth";
import { describe, expect, expectTypeOf, it } from "vitest";

declare module "cloakroom-sessions" {
  interface SessionData {
    typetestCart: string[];
    typetestVisits: number;
    typetestProfile: { name: string; tags: string[] };
  }
}

/** Never called: its body is what tsc checks. */
function typeChecks(s: Session) {
  // Declared keys: typed without a cast, read-only.
  expectTypeOf(s.get("typetestCart")).toEqualTypeOf<readonly string[] | undefined>();
  expectTypeOf(s.get("typetestVisits")).toEqualTypeOf<number | undefined>();
  expectTypeOf(s.get("typetestProfile")).toEqualTypeOf<
    { readonly name: string; readonly tags: readonly string[] } | undefined
  >();
  // @ts-expect-error values are frozen; the types say so
  s.get("typetestCart")?.push("x");
  s.set("typetestCart", ["a"]);
  s.set("typetestCart", s.get("typetestCart") ?? []); // a read-only value goes back in
  // @ts-expect-error a declared key takes its declared type
  s.set("typetestVisits", "many");
  s.update("typetestVisits", (n) => (n ?? 0) + 1);
  // @ts-expect-error update must return the declared type
  s.update("typetestVisits", () => "x");

  // Undeclared keys: any JSON value, or the type argument, still read-only.
  expectTypeOf(s.get("other")).toEqualTypeOf<
    import("cloakroom-sessions").ReadonlyJson<JsonValue> | undefined
  >();
  // @ts-expect-error read-only with a type argument too (it used to compile and throw)
  s.get<number[]>("other")?.push(4);
  s.set("other", { deep: [1, 2, { x: null }] });
  // @ts-expect-error not JSON
  s.set("other", new Date());

  // Durations: a number of ms or a number with a unit.
  const ok: Duration[] = [1000, "1500ms", "90s", "30m", "12h", "7d"];
  // @ts-expect-error no such unit
  const bad: Duration = "30 minutes";
  const options: SessionOptions = {
    secrets: undefined,
    idleTimeout: "30m",
    absoluteTimeout: "12h",
  };
  // @ts-expect-error a plain string is not a Duration (use parseDuration for env values)
  const fromEnv: SessionOptions = { secrets: "x", idleTimeout: String(process.env.X) };

  // exactOptionalPropertyTypes-friendly: req.ip is string | undefined.
  const ip: string | undefined = undefined;
  const login: LoginInput = { username: "a", password: "b", ip };
  return [ok, bad, options, fromEnv, login];
}

/** Never called: createStore's options are typed by a literal URL's scheme. */
async function storeOptionTypes() {
  await createStore("redis://127.0.0.1:6379/0", { keyPrefix: "app:" });
  // @ts-expect-error a misspelt option name
  await createStore("redis://127.0.0.1:6379/0", { keyPrefx: "app:" });
  await createStore("sqlite:./data/sessions.db", { reaper: false, mustExist: true });
  // @ts-expect-error a Redis option on a SQLite store
  await createStore("sqlite:./data/sessions.db", { keyPrefix: "app:" });
  // A URL known only at run time takes any options (checked at run time).
  await createStore(String(process.env.SESSION_STORE), { keyPrefix: "app:" });
}

/** Issue 12: what a store must implement, as the type says it (every other member optional). */
type RequiredMembers<T> = { [K in keyof T]-?: undefined extends T[K] ? never : K }[keyof T];
expectTypeOf<RequiredMembers<SessionStore>>().toEqualTypeOf<
  | "kind"
  | "capabilities"
  | "get"
  | "create"
  | "patch"
  | "rotate"
  | "destroy"
  | "listByUser"
  | "destroyByUser"
>();

describe("public API types", () => {
  it("compile as the file says (tsc checks the body)", () => {
    expect(typeof typeChecks).toBe("function");
    expect(typeof storeOptionTypes).toBe("function");
  });

  it("a declared key round-trips at run time as typed", async () => {
    const sessions = createSessions({ secrets: "t".repeat(32) });
    const s = await sessions.load({ cookie: undefined, encrypted: false });
    s.set("typetestCart", ["apple"]);
    s.update("typetestCart", (c) => [...(c ?? []), "pear"]);
    const cart: readonly string[] | undefined = s.get("typetestCart");
    expect(cart).toEqual(["apple", "pear"]);
    expect(Object.isFrozen(cart)).toBe(true);
  });
});
