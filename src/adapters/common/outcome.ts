/**
 * Applying a {@link CommitOutcome} to a response, the same way in every
 * adapter: `Set-Cookie` appended (never clobbering the app's own cookies),
 * `Vary` merged, `Cache-Control` set. Runtime-neutral: no `node:` imports, so
 * the web adapter can use it on any runtime.
 */
import type { CommitOutcome } from "../../core/manager.js";

/**
 * The header operations of one kind of response (`R`). One shared, stateless
 * object per adapter: the response is an argument, so nothing is allocated
 * per request to reach it.
 */
export interface ResponseHeaders<R> {
  /** True once the status line and headers have left; nothing can be added then. */
  sent(res: R): boolean;
  get(res: R, name: string): string | undefined;
  set(res: R, name: string, value: string): void;
  /** Every `Set-Cookie` value, in order. */
  getSetCookies(res: R): string[];
  /** Replaces the whole list of `Set-Cookie` values. */
  setSetCookies(res: R, values: string[]): void;
}

/** {@link applyOutcome}'s answer when the headers had left and the cookie could not go out. */
export const UNSENT = Symbol("cloakroom.unsent");

/**
 * Applies the outcome. `applied` is the `Set-Cookie` value this request
 * already emitted (an explicit `save()` and then the commit at the end), so a
 * second commit neither repeats it nor leaves a stale one beside the new one.
 * Returns the value now emitted, or {@link UNSENT}.
 */
export function applyOutcome<R>(
  h: ResponseHeaders<R>,
  res: R,
  outcome: CommitOutcome,
  applied: string | null,
): string | null | typeof UNSENT {
  if (h.sent(res)) {
    return outcome.setCookie === null || outcome.setCookie === applied ? applied : UNSENT;
  }
  if (outcome.vary) h.set(res, "vary", mergeVary(h.get(res, "vary")));
  if (outcome.setCookie !== null && outcome.setCookie !== applied) {
    const list = h.getSetCookies(res);
    const stale = applied === null ? -1 : list.indexOf(applied);
    if (stale >= 0) list.splice(stale, 1);
    list.push(outcome.setCookie);
    h.setSetCookies(res, list);
    applied = outcome.setCookie;
  }
  if (outcome.extraSetCookies !== undefined && outcome.extraSetCookies.length > 0) {
    h.setSetCookies(res, [...h.getSetCookies(res), ...outcome.extraSetCookies]);
  }
  if (outcome.cacheControl !== null) h.set(res, "cache-control", outcome.cacheControl);
  return applied;
}

/** `Vary` with `Cookie` added once (RFC 9110 §12.5.5: a list; `*` already covers everything). */
export function mergeVary(existing: string | undefined | null): string {
  if (!existing) return "Cookie";
  const tokens = existing.split(",").map((v) => v.trim().toLowerCase());
  if (tokens.includes("*") || tokens.includes("cookie")) return existing;
  return `${existing}, Cookie`;
}
