import type { SessionStore } from "../../src/core/store.js";

export type StoreCall =
  | "get"
  | "create"
  | "patch"
  | "touch"
  | "destroy"
  | "listByUser"
  | "destroyByUser"
  | "purgeExpired";

/**
 * Wraps a real store and counts the calls made to it. Not a mock: every call
 * goes through to the store underneath.
 */
export function countingStore<S extends SessionStore>(
  inner: S,
): S & { calls: Record<StoreCall, number>; writes(): number; reset(): void } {
  const calls = {
    get: 0,
    create: 0,
    patch: 0,
    touch: 0,
    destroy: 0,
    listByUser: 0,
    destroyByUser: 0,
    purgeExpired: 0,
  };
  const wrapped = Object.create(inner) as S & {
    calls: typeof calls;
    writes(): number;
    reset(): void;
  };
  for (const name of Object.keys(calls) as StoreCall[]) {
    const fn = (inner[name] as (...a: unknown[]) => Promise<unknown>).bind(inner);
    Object.defineProperty(wrapped, name, {
      value: (...args: unknown[]) => {
        calls[name]++;
        return fn(...args);
      },
    });
  }
  wrapped.calls = calls;
  wrapped.writes = () =>
    calls.create + calls.patch + calls.touch + calls.destroy + calls.destroyByUser;
  wrapped.reset = () => {
    for (const k of Object.keys(calls) as StoreCall[]) calls[k] = 0;
  };
  return wrapped;
}
