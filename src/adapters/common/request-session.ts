/**
 * The session object adapters hand to handlers: the core {@link Session}
 * plus `save()` and `reload()`, bound to the request's manager and response.
 * A subclass (not a wrapper) so it can be passed straight back to the
 * manager (`listUserSessions(userId, req.session)`, `revokeUserSessions`).
 */

import { withLegacyProperties } from "../../core/legacy-properties.js";
import type { SessionManager } from "../../core/manager.js";
import { Session } from "../../core/session.js";
import type { OutcomeWriter } from "./outcome.js";

export class RequestSession extends Session {
  readonly #manager: SessionManager;
  readonly #writer: OutcomeWriter;
  readonly #onUnsent: () => void;

  /** @internal Adapters build it from the session `manager.load()` returned. */
  constructor(
    loaded: Session,
    manager: SessionManager,
    writer: OutcomeWriter,
    onUnsent: () => void,
  ) {
    super(loaded._s);
    this.#manager = manager;
    this.#writer = writer;
    this.#onUnsent = onUnsent;
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
    if (!this.#writer.apply(outcome)) this.#onUnsent();
  }

  /** Re-reads the session from the store, dropping changes not yet saved. */
  async reload(): Promise<void> {
    await this.#manager.reload(this);
  }
}
