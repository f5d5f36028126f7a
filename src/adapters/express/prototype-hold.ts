/**
 * The cheap way to hold `res.end`: `end` and `writeHead` defined once on
 * Express's own response prototype (`express.response`, which every app's
 * responses inherit from), each finding the request's held state through
 * `res.req.session`.
 *
 * Why: Express gives every request and response its own hidden class
 * (`Object.setPrototypeOf` per request), so each property added to one
 * builds a new map and copies its descriptors — measured, about 2 µs per
 * property. Holding `end` and `writeHead` as own properties, plus
 * `req.sessions`, was three of the four properties the middleware added
 * per request; only `req.session` is left.
 *
 * Order stays what it was with per-request wrappers: the hook is used only
 * when this response's `end` and `writeHead` are still the hooks, i.e.
 * nothing mounted before the session middleware wrapped them (compression,
 * on-headers). Then the hook is exactly where an own wrapper would be:
 * inside whatever middleware mounted later wraps. Otherwise, and for
 * responses that are not Express's, the caller falls back to
 * `commitBeforeEnd`. A response without a held session passes straight
 * through to the next `end` in the chain, looked up at call time.
 */
import { IncomingMessage, ServerResponse } from "node:http";
import { endHeld, type HeldResponse, writeHeadHeld } from "./commit-before-end.js";

type Method = (this: ServerResponse, ...args: unknown[]) => unknown;
type Holding = { end: Method; writeHead: Method };

/** Finds the state a prototype hook acts for: undefined for a response it must pass through. */
export type FindHeld = (res: ServerResponse) => HeldResponse | undefined;

interface Hooks {
  readonly end: Method;
  readonly writeHead: Method;
  /** The prototype above the hooks: whose `end`/`writeHead` a held response finally calls. */
  readonly parent: Holding;
}

/** Express response prototype → its hooks; null where hooks cannot be installed. */
const installed = new WeakMap<object, Hooks | null>();
/** The last response prototype seen and its hooks: one app is the common case. */
let lastProto: object | null = null;
let lastHooks: Hooks | null = null;

/**
 * Holds `res.end` through the prototype hooks when nothing wrapped this
 * response before; false when the caller must wrap it itself.
 */
export function holdOnPrototype(res: ServerResponse, held: HeldResponse, find: FindHeld): boolean {
  const proto = Object.getPrototypeOf(res) as object | null;
  if (proto === null) return false;
  let hooks: Hooks | null;
  if (proto === lastProto) hooks = lastHooks;
  else {
    hooks = hooksFor(proto, find);
    lastProto = proto;
    lastHooks = hooks;
  }
  if (hooks === null) return false;
  const r = res as unknown as Holding;
  if (r.end !== hooks.end || r.writeHead !== hooks.writeHead) return false;
  held._end = hooks.parent.end;
  held._writeHead = hooks.parent.writeHead;
  held._phase = "open";
  return true;
}

function hooksFor(proto: object, find: FindHeld): Hooks | null {
  const base = expressBase(proto, ServerResponse.prototype);
  if (base === undefined) return null;
  let hooks = installed.get(base);
  if (hooks === undefined) {
    hooks = install(base, find);
    installed.set(base, hooks);
  }
  return hooks;
}

/**
 * The last prototype before Node's own in `proto`'s chain (Express's
 * `response`/`request`); undefined when `proto` is Node's own or the chain
 * does not reach it: Node's prototypes are never patched.
 */
export function expressBase(proto: object, nodeProto: object): object | undefined {
  if (proto === nodeProto) return undefined;
  let p = proto;
  for (let next = Object.getPrototypeOf(p); next !== null; next = Object.getPrototypeOf(p)) {
    if (next === nodeProto) return p;
    p = next;
  }
  return undefined;
}

function install(base: object, find: FindHeld): Hooks | null {
  // Something else already defines them there: leave it alone.
  if (Object.hasOwn(base, "end") || Object.hasOwn(base, "writeHead")) return null;
  const parent = Object.getPrototypeOf(base) as Holding;
  const hooks: Hooks = {
    end: function end(this: ServerResponse, ...args: unknown[]) {
      const held = find(this);
      return held === undefined ? parent.end.apply(this, args) : endHeld(this, held, args);
    },
    writeHead: function writeHead(this: ServerResponse, ...args: unknown[]) {
      const held = find(this);
      return held === undefined
        ? parent.writeHead.apply(this, args)
        : writeHeadHeld(this, held, args);
    },
    parent,
  };
  for (const name of ["end", "writeHead"] as const) {
    Object.defineProperty(base, name, {
      value: hooks[name],
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  return hooks;
}

/** Request prototypes whose `sessions` accessor is ours (true) or must not be touched (false). */
const accessors = new WeakMap<object, boolean>();

/**
 * Defines `sessions` once as an accessor on Express's request prototype
 * (read from `req.session`), so it costs no property per request; false
 * when that is not possible and the caller must set it on `req`.
 */
export function sessionsAccessor(
  req: IncomingMessage,
  managerOf: (session: unknown) => unknown,
): boolean {
  const proto = Object.getPrototypeOf(req) as object | null;
  if (proto === null) return false;
  let ok = accessors.get(proto);
  if (ok === undefined) {
    const base = expressBase(proto, IncomingMessage.prototype);
    ok = base !== undefined && defineSessions(base, managerOf);
    accessors.set(proto, ok);
  }
  return ok && !Object.hasOwn(req, "sessions");
}

const ours = new WeakSet<object>();

function defineSessions(base: object, managerOf: (session: unknown) => unknown): boolean {
  if (ours.has(base)) return true;
  if (Object.hasOwn(base, "sessions")) return false;
  Object.defineProperty(base, "sessions", {
    configurable: true,
    enumerable: false,
    get(this: { session?: unknown }) {
      return managerOf(this.session);
    },
    // Assigned by anyone else: an own property, as it would have been without the accessor.
    set(this: object, value: unknown) {
      Object.defineProperty(this, "sessions", {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    },
  });
  ours.add(base);
  return true;
}
