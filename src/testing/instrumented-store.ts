/**
 * A real store with two test controls around it: it counts every call (to
 * prove "no store write"), and it can be switched "down", when each call
 * rejects with StoreUnavailableError as a dead backend would. Patches can also
 * be held, to order two requests deterministically. The records live in the
 * wrapped store; nothing here answers in its place.
 */
import { StoreUnavailableError } from "../core/errors.js";
import type { SessionPatch, SessionStore } from "../core/store.js";

/** The store methods an InstrumentedStore counts. */
export type Method =
  | "get"
  | "create"
  | "rotate"
  | "patch"
  | "destroy"
  | "listByUser"
  | "destroyByUser"
  | "purgeExpired";

export const WRITES: readonly Method[] = ["create", "rotate", "patch", "destroy", "destroyByUser"];

export class InstrumentedStore implements SessionStore {
  readonly kind: string;
  readonly capabilities: SessionStore["capabilities"];
  readonly calls: Record<Method, number> = InstrumentedStore.#zero();
  /** While true, every call rejects as if the backend were unreachable. */
  down = false;
  #hold: { entered: () => void; release: Promise<void> } | null = null;

  constructor(readonly inner: SessionStore) {
    this.kind = inner.kind;
    this.capabilities = inner.capabilities;
    const purge = inner.purgeExpired?.bind(inner);
    if (purge) this.purgeExpired = (now, o) => this.#call("purgeExpired", () => purge(now, o));
  }

  static #zero(): Record<Method, number> {
    return {
      get: 0,
      create: 0,
      rotate: 0,
      patch: 0,
      destroy: 0,
      listByUser: 0,
      destroyByUser: 0,
      purgeExpired: 0,
    };
  }

  resetCounts(): void {
    Object.assign(this.calls, InstrumentedStore.#zero());
  }

  get writes(): number {
    return WRITES.reduce((n, m) => n + this.calls[m], 0);
  }

  get total(): number {
    return Object.values(this.calls).reduce((a, b) => a + b, 0);
  }

  /**
   * Holds the next patch before it reaches the store. Resolves `entered` when
   * that patch arrives; the patch proceeds once `release()` is called.
   */
  holdNextPatch(): { entered: Promise<void>; release: () => void } {
    let entered!: () => void;
    let release!: () => void;
    const enteredP = new Promise<void>((r) => {
      entered = r;
    });
    const releaseP = new Promise<void>((r) => {
      release = r;
    });
    this.#hold = { entered, release: releaseP };
    return { entered: enteredP, release };
  }

  async #call<T>(method: Method, fn: () => Promise<T>): Promise<T> {
    this.calls[method]++;
    if (this.down) throw new StoreUnavailableError(`${this.kind} store is down (test switch)`);
    return fn();
  }

  get: SessionStore["get"] = (key, now) => this.#call("get", () => this.inner.get(key, now));
  create: SessionStore["create"] = (key, s) =>
    this.#call("create", () => this.inner.create(key, s));
  rotate: SessionStore["rotate"] = (oldKey, newKey, s, now) =>
    this.#call("rotate", () => this.inner.rotate(oldKey, newKey, s, now));
  patch = (key: string, patch: SessionPatch, now: number) =>
    this.#call("patch", async () => {
      const hold = this.#hold;
      if (hold) {
        this.#hold = null;
        hold.entered();
        await hold.release;
      }
      return this.inner.patch(key, patch, now);
    });
  destroy: SessionStore["destroy"] = (key) => this.#call("destroy", () => this.inner.destroy(key));
  listByUser: SessionStore["listByUser"] = (user, now) =>
    this.#call("listByUser", () => this.inner.listByUser(user, now));
  destroyByUser: SessionStore["destroyByUser"] = (user, except) =>
    this.#call("destroyByUser", () => this.inner.destroyByUser(user, except));
  /** Present exactly when the inner store has it, so native TTL still shows through. */
  readonly purgeExpired?: NonNullable<SessionStore["purgeExpired"]>;
  /** Counter calls (login throttling), kept out of `calls`: they are not session reads or writes. */
  counterCalls = 0;
  increment: SessionStore["increment"] = (name, by, ttl, now) => {
    this.counterCalls++;
    if (this.down) return Promise.reject(new StoreUnavailableError(`${this.kind} store is down`));
    return this.inner.increment!(name, by, ttl, now);
  };
  resetCounter: SessionStore["resetCounter"] = (name) => {
    this.counterCalls++;
    if (this.down) return Promise.reject(new StoreUnavailableError(`${this.kind} store is down`));
    return this.inner.resetCounter!(name);
  };
  close = async () => this.inner.close?.();
  useLogger: SessionStore["useLogger"] = (logger) => this.inner.useLogger?.(logger);
}
