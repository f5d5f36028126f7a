/**
 * One way to put something around every store call (timing, a span) without
 * touching the store: a Proxy that intercepts the {@link SessionStore}
 * methods and hands everything else through, bound to the real store so
 * private fields (`#exec`) keep working and store-specific extras (a tiered
 * store's `cache`, a SQL store's `table`) stay visible.
 */
import type { SessionStore } from "../core/store.js";

/** The store methods that are timed and traced; the label values of `operation`. */
export const STORE_OPERATIONS = [
  "get",
  "create",
  "rotate",
  "patch",
  "destroy",
  "listByUser",
  "destroyByUser",
  "purgeExpired",
  "stats",
  "migrate",
] as const;

export type StoreOperation = (typeof STORE_OPERATIONS)[number];

const OPS: ReadonlySet<string> = new Set(STORE_OPERATIONS);

/** Runs `call` (one store operation) and resolves to its result; may observe, never change it. */
export type AroundStoreCall = <T>(operation: StoreOperation, call: () => Promise<T>) => Promise<T>;

export function wrapStore<S extends SessionStore>(store: S, around: AroundStoreCall): S {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      let fn = bound.get(prop);
      if (fn === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        fn =
          typeof prop === "string" && OPS.has(prop)
            ? (...args: unknown[]) =>
                around(prop as StoreOperation, () => method.apply(target, args) as Promise<unknown>)
            : method.bind(target);
        bound.set(prop, fn);
      }
      return fn;
    },
  });
}
