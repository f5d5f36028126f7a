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

/** What the Express adapter holds responses and answers `req.sessions` with. */
export interface PrototypeHold {
  /**
   * Holds `res.end` through the prototype hooks when nothing wrapped this
   * response before; false when the caller must wrap it itself.
   */
  hold(res: ServerResponse, held: HeldResponse): boolean;
  /**
   * True when `req.sessions` is answered by the accessor on Express's
   * request prototype (read from `req.session`); false when the caller must
   * set it on `req`.
   */
  sessionsAccessor(req: IncomingMessage): boolean;
}

/**
 * The hooks and accessor, installed on an Express prototype the first time
 * a request of that Express is seen. Made once per module: the hooks on a
 * prototype are installed by one caller only (a second finds them there).
 * @param find the session the hooks act for
 * @param managerOf what `req.sessions` answers for a `req.session`
 */
export function prototypeHold(
  find: FindHeld,
  managerOf: (session: unknown) => unknown,
): PrototypeHold {
  const hooksOf = onExpressBase(ServerResponse.prototype, (base) => installHooks(base, find));
  const accessorOf = onExpressBase(IncomingMessage.prototype, (base) =>
    defineSessions(base, managerOf),
  );
  return {
    hold(res, held) {
      const proto = Object.getPrototypeOf(res) as object | null;
      const hooks = proto === null ? null : hooksOf(proto);
      if (hooks === null) return false;
      const r = res as unknown as Holding;
      if (r.end !== hooks.end || r.writeHead !== hooks.writeHead) return false;
      held._end = hooks.parent.end;
      held._writeHead = hooks.parent.writeHead;
      held._phase = "open";
      return true;
    },
    sessionsAccessor(req) {
      const proto = Object.getPrototypeOf(req) as object | null;
      return proto !== null && accessorOf(proto) !== null && !Object.hasOwn(req, "sessions");
    },
  };
}

/**
 * `install` run once per Express base prototype (see {@link expressBase}) of
 * objects whose Node prototype is `nodeProto`, its answer (null: not
 * possible) kept. The last prototype asked about is remembered: one app is
 * the common case, so the chain is walked only when the app changes.
 */
function onExpressBase<T>(
  nodeProto: object,
  install: (base: object) => T | null,
): (proto: object) => T | null {
  const byBase = new WeakMap<object, T | null>();
  let lastProto: object | null = null;
  let last: T | null = null;
  return (proto) => {
    if (proto === lastProto) return last;
    const base = expressBase(proto, nodeProto);
    let found: T | null = null;
    if (base !== undefined) {
      const known = byBase.get(base);
      found = known !== undefined ? known : install(base);
      byBase.set(base, found);
    }
    lastProto = proto;
    last = found;
    return found;
  };
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

function installHooks(base: object, find: FindHeld): Hooks | null {
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

/** Defines the `sessions` accessor on `base`; null when something else already defines `sessions` there. */
function defineSessions(base: object, managerOf: (session: unknown) => unknown): true | null {
  if (Object.hasOwn(base, "sessions")) return null;
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
  return true;
}
