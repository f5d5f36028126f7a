/**
 * Applying a {@link CommitOutcome} to a response, the same way in every
 * adapter: `Set-Cookie` appended (never clobbering the app's own cookies),
 * `Vary` merged, `Cache-Control` set. Runtime-neutral: no `node:` imports, so
 * the web adapter can use it on any runtime.
 */
import type { CommitOutcome } from "../../core/manager.js";

/** The header operations an adapter's response offers. */
export interface HeaderTarget {
  /** True once the status line and headers have left; nothing can be added then. */
  sent(): boolean;
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  /** Every `Set-Cookie` value, in order. */
  getSetCookies(): string[];
  /** Replaces the whole list of `Set-Cookie` values. */
  setSetCookies(values: string[]): void;
}

/**
 * Tracks the `Set-Cookie` value this request already emitted, so a second
 * commit (an explicit `save()` and then the one at the end of the request)
 * neither repeats it nor leaves a stale one beside the new one.
 */
export class OutcomeWriter {
  #applied: string | null = null;
  readonly #target: HeaderTarget;

  constructor(target: HeaderTarget) {
    this.#target = target;
  }

  /** Applies the outcome; false when headers were already sent and a cookie could not go out. */
  apply(outcome: CommitOutcome): boolean {
    const t = this.#target;
    if (t.sent()) return outcome.setCookie === null || outcome.setCookie === this.#applied;
    if (outcome.vary) t.set("vary", mergeVary(t.get("vary")));
    if (outcome.setCookie !== null && outcome.setCookie !== this.#applied) {
      const list = t.getSetCookies();
      const stale = this.#applied === null ? -1 : list.indexOf(this.#applied);
      if (stale >= 0) list.splice(stale, 1);
      list.push(outcome.setCookie);
      t.setSetCookies(list);
      this.#applied = outcome.setCookie;
    }
    if (outcome.extraSetCookies !== undefined && outcome.extraSetCookies.length > 0) {
      t.setSetCookies([...t.getSetCookies(), ...outcome.extraSetCookies]);
    }
    if (outcome.cacheControl !== null) t.set("cache-control", outcome.cacheControl);
    return true;
  }
}

/** `Vary` with `Cookie` added once (RFC 9110 §12.5.5: a list; `*` already covers everything). */
export function mergeVary(existing: string | undefined | null): string {
  if (!existing) return "Cookie";
  const tokens = existing.split(",").map((v) => v.trim().toLowerCase());
  if (tokens.includes("*") || tokens.includes("cookie")) return existing;
  return `${existing}, Cookie`;
}
