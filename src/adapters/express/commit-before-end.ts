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

export interface EndHooks {
  /** Commits the session and applies its outcome to `res`. */
  commit(): Promise<void>;
  /** Called when the headers leave before the commit (streaming, explicit `writeHead`). */
  earlyHead(): void;
}

export function commitBeforeEnd(
  res: ServerResponse,
  hooks: EndHooks,
  next: NextFunction,
  logger: Logger,
): void {
  const r = res as unknown as { end: Method; writeHead: Method };
  const end = r.end;
  const writeHead = r.writeHead;
  let state: "open" | "committing" | "done" = "open";

  r.writeHead = function writeHeadAfterSession(this: ServerResponse, ...args: unknown[]) {
    if (state === "open" && !this.headersSent) hooks.earlyHead();
    return writeHead.apply(this, args);
  };

  r.end = function endAfterCommit(this: ServerResponse, ...args: unknown[]) {
    if (state === "done") return end.apply(this, args);
    // A second end() while the first is held would finish the response before the commit.
    if (state === "committing") return this;
    state = "committing";
    void finish(this, args);
    return this;
  };

  async function finish(self: ServerResponse, args: unknown[]): Promise<void> {
    try {
      await hooks.commit();
    } catch (err) {
      state = "done";
      if (!self.headersSent) {
        for (const name of BODY_HEADERS) self.removeHeader(name);
        next(err);
        return;
      }
      logger.error(
        "cloakroom: the session could not be committed; the response had already begun",
        {
          err,
        },
      );
    }
    state = "done";
    try {
      end.apply(self, args);
    } catch (err) {
      // What end() would have thrown to the handler (a bad encoding…): it no longer has a caller here.
      if (self.headersSent) self.destroy(err as Error);
      else next(err);
    }
  }
}
