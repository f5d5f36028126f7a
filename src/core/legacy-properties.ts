/**
 * express-session style access to a session, for handlers not yet ported:
 * `req.session.cart = […]`, `req.session.cart.push(x)`, `delete
 * req.session.cart`, `regenerate(cb)`, `save(cb)`, `destroy(cb)`,
 * `reload(cb)`, `touch()`. Reading a key hands out a mutable copy (one
 * JSON.parse); at commit each key a handler read or assigned is encoded
 * again and compared with the stored JSON, and only keys whose JSON changed
 * are written — still a field-level patch, so concurrent requests changing
 * different keys both keep their change.
 */
import { decodeValue } from "./codec.js";
import type { JsonValue } from "./json.js";
import type { RotateOptions, Session } from "./session.js";

/** The proxy's flush, reached by the manager before every commit. */
export const LEGACY_FLUSH: unique symbol = Symbol("cloakroom.legacyFlush");

type Callback = (err?: unknown) => void;
type SessionLike = Session & {
  save?: () => Promise<void>;
  reload?: () => Promise<void>;
};

/** Calls the proxy's flush if `session` is one (a plain Session has no such member). */
export function flushLegacyProperties(session: Session): void {
  const flush = (session as unknown as { [LEGACY_FLUSH]?: () => void })[LEGACY_FLUSH];
  if (flush !== undefined) flush();
}

function later(cb: Callback | undefined, p: Promise<unknown>): Promise<unknown> | undefined {
  if (typeof cb !== "function") return p;
  p.then(
    () => cb(),
    (err: unknown) => cb(err),
  );
  return undefined;
}

/** Wraps a request's session so handlers can use it as a plain object. */
export function withLegacyProperties<T extends SessionLike>(target: T): T {
  /** Key → the handler's working value; undefined marks a deletion. */
  const working = new Map<string, unknown>();
  const flush = () => {
    for (const [key, value] of working) {
      // set() encodes and compares with the current JSON: an unchanged key writes nothing.
      if (value === undefined) target.delete(key);
      else target.set(key, value as JsonValue);
    }
  };
  // express-session's callback forms; our promise forms when called without a callback.
  const compat: Record<string, unknown> = {
    [LEGACY_FLUSH]: flush,
    touch: () => proxy,
    cookie: {},
    save: (cb?: Callback) => {
      flush();
      return later(cb, target.save ? target.save() : Promise.resolve());
    },
    reload: (cb?: Callback) => {
      working.clear();
      return later(cb, target.reload ? target.reload() : Promise.resolve());
    },
    regenerate: (arg?: Callback | RotateOptions) => {
      if (typeof arg === "function") {
        // express-session's regenerate(cb) starts an empty session.
        working.clear();
        target.regenerate({ keepData: false });
        queueMicrotask(() => arg());
        return undefined;
      }
      if (arg?.keepData === false) working.clear();
      target.regenerate(arg);
      return proxy;
    },
    destroy: (cb?: Callback) => {
      working.clear();
      target.destroy();
      if (typeof cb === "function") queueMicrotask(() => cb());
      return typeof cb === "function" ? undefined : proxy;
    },
    toJSON: () => {
      flush();
      return target.toJSON();
    },
  };
  // Also on the session itself: adapters and the manager may hold it rather than the proxy.
  Object.defineProperty(target, LEGACY_FLUSH, { value: flush, configurable: true });
  const isMember = (key: string | symbol) => typeof key === "symbol" || key in target;
  const proxy: T = new Proxy(target, {
    get(t, key) {
      if (Object.hasOwn(compat, key)) return compat[key as string];
      if (isMember(key)) {
        const v = Reflect.get(t, key, t);
        // Methods run on the real session (its private fields are not on the proxy); functions the
        // session holds as data (the Express adapter's original `res.end`) stay as they are.
        return typeof v === "function" && !Object.hasOwn(t, key) ? v.bind(t) : v;
      }
      const k = key as string;
      if (working.has(k)) return working.get(k);
      if (k.startsWith("$")) return undefined;
      const raw = t._rawField(k);
      if (raw === undefined) return undefined;
      const value = decodeValue(raw);
      working.set(k, value);
      return value;
    },
    set(t, key, value) {
      if (key === "cookie") return true; // express-session's cookie settings: not session data
      // The session's own bookkeeping fields (`_outCookie`…): the manager and adapters set them.
      if (typeof key === "string" && key.startsWith("_") && Object.hasOwn(t, key))
        return Reflect.set(t, key, value, t);
      if (isMember(key)) return false;
      working.set(key as string, value);
      return true;
    },
    deleteProperty(_t, key) {
      if (isMember(key)) return false;
      working.set(key as string, undefined);
      return true;
    },
    has(t, key) {
      if (isMember(key)) return true;
      const k = key as string;
      return working.has(k) ? working.get(k) !== undefined : t.has(k);
    },
    ownKeys(t) {
      const keys = new Set(t.keys());
      for (const [k, v] of working) {
        if (v === undefined) keys.delete(k);
        else keys.add(k);
      }
      return [...keys];
    },
    getOwnPropertyDescriptor(t, key) {
      if (isMember(key)) return Reflect.getOwnPropertyDescriptor(t, key);
      const value = proxy[key as keyof T];
      if (value === undefined) return undefined;
      return { value, writable: true, enumerable: true, configurable: true };
    },
  });
  return proxy;
}
