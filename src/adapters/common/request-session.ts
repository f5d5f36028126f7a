/**
 * The session object adapters hand to handlers: the core {@link Session}
 * plus `save()` and `reload()`, bound to the request's manager and response.
 * A subclass (not a wrapper) so it can be passed straight back to the
 * manager (`listUserSessions(userId, req.session)`, `revokeUserSessions`),
 * and the only session object of the request: the adapter builds it and the
 * manager loads into it.
 */
import { withLegacyProperties } from "../../core/legacy-properties.js";
import type { SessionManager } from "../../core/manager.js";
import { Session } from "../../core/session.js";
import { HEADERS_SENT_MESSAGE } from "./manager-of.js";
import { applyOutcome, type ResponseHeaders, UNSENT } from "./outcome.js";

export class RequestSession<R = unknown> extends Session {
  readonly #manager: SessionManager;
  readonly #headers: ResponseHeaders<R>;
  /** Private, so nothing that walks the session's properties reaches the whole server through it. */
  readonly #res: R;
  /** The `Set-Cookie` value this request already emitted. */
  #applied: string | null = null;

  /**
   * @internal Adapters build it before `manager.load(info, session)`.
   * @param headers the adapter's shared header operations
   * @param res the response they apply to
   */
  constructor(manager: SessionManager, headers: ResponseHeaders<R>, res: R) {
    super();
    this.#manager = manager;
    this.#headers = headers;
    this.#res = res;
    // express-session style `req.session.cart = …` for handlers not yet ported (opt-in).
    // biome-ignore lint/correctness/noConstructorReturn: the proxy stands in for this instance
    if (manager.options.legacyProperties) return withLegacyProperties(this);
  }

  /**
   * Commits the changes made so far and puts the cookie on the response now,
   * instead of when the response ends. Needed before streaming a body or
   * answering with `res.writeHead()`: after the headers leave, a new cookie
   * cannot reach the browser. Rejects with `StoreUnavailableError` or
   * `SessionTooLargeError` (nothing written).
   * @example
   * req.session.set("step", 2);
   * await req.session.save();
   * stream.pipe(res);
   */
  async save(): Promise<void> {
    const outcome = await this.#manager.commit(this);
    const applied = applyOutcome(this.#headers, this.#res, outcome, this.#applied);
    if (applied === UNSENT) this.#manager.options.logger.error(HEADERS_SENT_MESSAGE);
    else this.#applied = applied;
  }

  /**
   * @internal Applies the outcome at once when committing needs no store call
   * (see `SessionManager.settledOutcome`); false when {@link save} must run.
   */
  _settle(): boolean {
    const outcome = this.#manager.settledOutcome(this);
    if (outcome === null) return false;
    const applied = applyOutcome(this.#headers, this.#res, outcome, this.#applied);
    if (applied === UNSENT) this.#manager.options.logger.error(HEADERS_SENT_MESSAGE);
    else this.#applied = applied;
    return true;
  }

  /** @internal The manager this session belongs to (the Express adapter's `req.sessions`). */
  _manager(): SessionManager {
    return this.#manager;
  }

  /** @internal The response (or headers) the session's cookie goes on. */
  _response(): R {
    return this.#res;
  }

  /** Re-reads the session from the store, dropping changes not yet saved. */
  async reload(): Promise<void> {
    await this.#manager.reload(this);
  }
}
