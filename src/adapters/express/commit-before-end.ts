/**
 * Holding `res.end` until the session is committed.
 *
 * Express has no async "before the response is finished" hook. The two
 * honest choices are to make every handler remember `await
 * req.session.save()` (a forgotten call silently loses the write, and a
 * handler that answers 200 for a login that was never stored is worse than
 * one that fails), or to hold the response's last call until the commit is
 * done. We hold it: the wrapper keeps `end`'s arguments exactly as given
 * (`end()`, `end(cb)`, `end(chunk)`, `end(chunk, enc)`, `end(chunk, enc, cb)`),
 * commits, then calls the original with them. If the commit fails while the
 * headers are still unsent, the held response is abandoned and the error
 * goes to `next(err)`, so the client gets Express's 503/413 instead of the
 * handler's 200 (REL-03 in the security checklist).
 *
 * `writeHead` is wrapped only to notice headers leaving early (a streamed
 * body, `res.sendFile`, an explicit `res.writeHead`): its arguments are passed
 * through untouched, whatever their shape — object, flat array or array of
 * pairs — because rewriting them is how on-headers got GHSA-76c9-3jph-rj3q.
 * The session's cookie cannot reach the browser after that; `save()` first.
 */
import type { ServerResponse } from "node:http";
import type { NextFunction } from "express";
import type { Logger } from "../../core/options.js";

type Method = (this: ServerResponse, ...args: unknown[]) => unknown;

/** Headers describing the body of a response that is abandoned for an error response. */
const BODY_HEADERS = [
  "content-type",
  "content-length",
  "etag",
  "last-modified",
  "content-encoding",
];

/**
 * The per-request state of a held response; the Express adapter's session
 * object is this state. The two wrappers are small closures over it rather
 * than shared functions finding it in a slot on `res`: Express gives each
 * response its own hidden class (`Object.setPrototypeOf` per request), so every
 * property added to `res` builds a new map — about 1.5 KB and a few µs each,
 * measured — where a closure costs tens of bytes.
 */
export interface HeldResponse {
  /** The response's own `end` and `writeHead`, as they were before the hold. */
  _end: Method;
  _writeHead: Method;
  _phase: "open" | "committing" | "done";
  _next: NextFunction;
  _logger: Logger;
  /** Applies the outcome at once when the commit needs no store call; false otherwise. */
  _settle(): boolean;
  /** Commits the session and applies its outcome to the response. */
  _commitHeld(): Promise<void>;
  /** Called when the headers leave before the commit (streaming, explicit `writeHead`). */
  _earlyHead(res: ServerResponse): void;
}

type Holding = { end: Method; writeHead: Method };

/**
 * Holds `res.end` until the session is committed, with two own wrappers on
 * `res`; `held._end`/`_writeHead` receive the originals. The fallback of
 * `holdOnPrototype`, for responses something wrapped before the middleware.
 */
export function commitBeforeEnd(res: ServerResponse, held: HeldResponse): void {
  const r = res as unknown as Holding;
  held._end = r.end;
  held._writeHead = r.writeHead;
  held._phase = "open";
  r.writeHead = function writeHeadAfterSession(this: ServerResponse, ...args: unknown[]) {
    return writeHeadHeld(this, held, args);
  };
  r.end = function endAfterCommit(this: ServerResponse, ...args: unknown[]) {
    return endHeld(this, held, args);
  };
}

export function writeHeadHeld(res: ServerResponse, held: HeldResponse, args: unknown[]): unknown {
  if (held._phase === "open" && !res.headersSent) held._earlyHead(res);
  return held._writeHead.apply(res, args);
}

export function endHeld(res: ServerResponse, held: HeldResponse, args: unknown[]): unknown {
  if (held._phase === "done") return held._end.apply(res, args);
  // A second end() while the first is held would finish the response before the commit.
  if (held._phase === "committing") return res;
  // Nothing for the store (most requests only read): headers applied now, no wait.
  if (held._settle()) {
    held._phase = "done";
    return held._end.apply(res, args);
  }
  held._phase = "committing";
  void finish(res, held, args);
  return res;
}
async function finish(self: ServerResponse, held: HeldResponse, args: unknown[]): Promise<void> {
  try {
    await held._commitHeld();
  } catch (err) {
    held._phase = "done";
    if (!self.headersSent) {
      for (const name of BODY_HEADERS) self.removeHeader(name);
      held._next(err);
      return;
    }
    held._logger.error(
      "cloakroom: the session could not be committed; the response had already begun",
      { err },
    );
  }
  held._phase = "done";
  try {
    held._end.apply(self, args);
  } catch (err) {
    // What end() would have thrown to the handler (a bad encoding…): it no longer has a caller here.
    if (self.headersSent) self.destroy(err as Error);
    else held._next(err);
  }
}
