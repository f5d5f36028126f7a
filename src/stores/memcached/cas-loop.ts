/**
 * Read-modify-write on one Memcached value with compare-and-swap, retried on
 * conflict. memjs exposes no CAS, so this runs on the raw operations of
 * {@link MemcachedOps}.
 */
import { StoreUnavailableError } from "../../core/errors.js";
import { interleave } from "../../core/interleave.js";
import { type MemcachedOps, STATUS } from "./protocol.js";

/** What to do with the value read: write this, delete it, or (null) leave it. */
export type CasDecision = { value: string; exptime: number } | { delete: true } | null;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class CasLoop {
  readonly #ops: MemcachedOps;
  readonly #maxAttempts: number;
  /** CAS conflicts seen so far (for tests and metrics). */
  conflicts = 0;

  constructor(ops: MemcachedOps, maxAttempts: number) {
    this.#ops = ops;
    this.#maxAttempts = Math.max(1, maxAttempts);
  }

  /**
   * Reads `key`, asks `decide` what to do with its text (undefined when
   * absent) and does it only if nobody wrote in between: SET with the CAS
   * read, DELETE with it, or ADD when the value was absent. On a conflict it
   * starts over with a fresh read. Resolves to true when something was
   * written or deleted (or a delete was decided on an absent value), false
   * when `decide` chose to leave it.
   */
  async update(
    key: string,
    decide: (text: string | undefined) => CasDecision | Promise<CasDecision>,
  ): Promise<boolean> {
    for (let attempt = 0; attempt < this.#maxAttempts; attempt++) {
      if (attempt > 0) {
        this.conflicts++;
        // Full jitter, capped: contenders spread out instead of colliding again.
        await sleep(Math.random() * Math.min(2 ** attempt, 32));
      }
      const got = await this.#ops.get(key);
      await interleave("memcached.cas:read");
      const decision = await decide(got?.value);
      if (decision === null) return false;
      let status: number;
      if ("delete" in decision) {
        if (!got) return true;
        status = await this.#ops.delete(key, got.cas);
        if (status === STATUS.ok) return true;
        // exists: rewritten since our read. notFound: deleted by someone else
        // since our read, so this delete did not happen (a rotation's claim
        // must not count a revocation's delete as its own): decide again on
        // a fresh read, which sees the value absent.
        continue;
      }
      status = got
        ? await this.#ops.store("set", key, decision.value, decision.exptime, got.cas)
        : await this.#ops.store("add", key, decision.value, decision.exptime, null);
      if (status === STATUS.ok) return true;
      // exists: someone wrote first. notFound: deleted since our read; the
      // next read sees it absent, and `decide` refuses to recreate a session.
    }
    throw new StoreUnavailableError(
      `memcached: gave up after ${this.#maxAttempts} compare-and-swap conflicts on one key`,
    );
  }
}
