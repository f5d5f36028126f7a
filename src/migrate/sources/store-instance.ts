/**
 * Any express-session `Store` the app already has (connect-mongo,
 * connect-session-sequelize, a MemoryStore…), through its callback API, each
 * call bounded by a timeout so a store that never calls back cannot hang the
 * request. The callback API has no atomic read-and-remove: `take` is a get
 * then a destroy, made exclusive within this process by the caller; across
 * processes, give the store as a URL when one of the URL layouts fits.
 */
import type { LegacySource, ScanPage } from "./source.js";
import { withTimeout } from "./source.js";

/** A Node-style callback, as express-session stores take. */
export type Callback<T> = (err: unknown, value?: T) => void;

/** The part of express-session's `Store` the takeover uses. */
export interface ExpressStoreLike {
  get(sid: string, callback: Callback<unknown>): void;
  destroy(sid: string, callback?: (err?: unknown) => void): void;
  set?(sid: string, session: never, callback?: (err?: unknown) => void): void;
  all?(callback: Callback<unknown>): void;
}

export function isExpressStore(v: unknown): v is ExpressStoreLike {
  const s = v as Partial<ExpressStoreLike> | null;
  return !!s && typeof s.get === "function" && typeof s.destroy === "function";
}

function call<T>(timeoutMs: number, fn: (cb: Callback<T>) => void): Promise<T | undefined> {
  return withTimeout(
    "old session store",
    timeoutMs,
    new Promise<T | undefined>((resolve, reject) => {
      fn((err, value) => (err ? reject(err) : resolve(value)));
    }),
  );
}

export function storeInstanceSource(store: ExpressStoreLike, timeoutMs: number): LegacySource {
  return {
    kind: "express-session store",
    async take(sid) {
      const sess = await call<unknown>(timeoutMs, (cb) => store.get(sid, cb));
      if (sess === undefined || sess === null) return null;
      await call<void>(timeoutMs, (cb) => store.destroy(sid, cb));
      // Stores hand back parsed objects; the text goes through the same decoding as every other source.
      return { text: typeof sess === "string" ? sess : JSON.stringify(sess), expiresAt: null };
    },
    async restore(sid, raw) {
      if (!store.set) return;
      const sess = JSON.parse(raw.text) as never;
      await call<void>(timeoutMs, (cb) => store.set!(sid, sess, cb));
    },
    async scan(): Promise<ScanPage> {
      throw new Error("import reads store URLs only; give the old store as a URL");
    },
    async close() {},
  };
}
