/**
 * What the near cache's invalidation protocol needs from a message channel:
 * one stream of messages that every subscribed process, the sender included,
 * receives in one and the same order. Redis pub/sub gives that (PUBLISH is
 * executed one at a time, and each subscriber's connection delivers in that
 * order); so does PostgreSQL LISTEN/NOTIFY ("notifications from different
 * transactions are delivered in the order in which the transactions
 * committed", SQL command reference, NOTIFY).
 *
 * The protocol on top ({@link Coherence}) needs nothing else: no delivery
 * guarantee (a lost message is caught by the lease), no acknowledgement from
 * the bus, no membership list.
 */
export interface InvalidationBus {
  /** Short name for messages and logs, e.g. `"redis"`. */
  readonly kind: string;
  /**
   * Subscribes. `onMessage` receives each payload in the bus's one order;
   * `onLost` is called whenever messages may have been missed (connection
   * dropped, reconnecting). Resolves once subscribed.
   */
  start(onMessage: (payload: string) => void, onLost: (reason: unknown) => void): Promise<void>;
  /** Sends a payload to every subscriber. Rejects when it cannot be sent. */
  publish(payload: string): Promise<void>;
  /** Unsubscribes and closes the connections the bus opened. */
  close(): Promise<void>;
}
