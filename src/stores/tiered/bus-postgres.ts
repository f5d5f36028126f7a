/**
 * The near cache's invalidation bus over PostgreSQL LISTEN/NOTIFY, so a
 * tiered store on PostgreSQL needs no other server: one dedicated connection
 * listens, and publishes with `pg_notify`. When it drops, the near caches are
 * bypassed (`onLost`) and it reconnects with a capped backoff.
 */
import { StoreUnavailableError } from "../../core/errors.js";
import { importDriver } from "../../util/driver.js";
import { backoff } from "../redis/connect.js";
import type { InvalidationBus } from "./bus.js";

interface PgClientLike {
  connect(): Promise<unknown>;
  end(): Promise<unknown>;
  query(
    text: string | { text: string; values?: unknown[]; query_timeout?: number },
    values?: unknown[],
  ): Promise<unknown>;
  on(
    event: "notification",
    listener: (msg: { channel: string; payload?: string }) => void,
  ): unknown;
  on(event: "error" | "end", listener: (err?: unknown) => void): unknown;
}

interface PgModule {
  Client: new (config: Record<string, unknown>) => PgClientLike;
}

export interface PostgresBusOptions {
  /** Connection URL of the database every process uses. */
  url: string;
  /** Channel name (an SQL identifier: letters, digits, `_`). @default "cloakroom_invalidate" */
  channel?: string;
  /** Deadline of one publish and of connecting, ms. @default 2000 */
  timeout?: number;
  /** `application_name` of the connection, so operators (and tests) can find it in `pg_stat_activity`. @default "cloakroom-near-cache" */
  applicationName?: string;
}

export function createPostgresBus(options: PostgresBusOptions): InvalidationBus {
  const channel = options.channel ?? "cloakroom_invalidate";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) {
    throw new RangeError(
      `near cache channel: ${JSON.stringify(channel)} is not a plain lower-case SQL identifier`,
    );
  }
  const timeout = options.timeout ?? 2000;
  let client: PgClientLike | undefined;
  let closed = false;
  let retries = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let onMessage: (payload: string) => void = () => {};
  let onLost: (reason: unknown) => void = () => {};

  const schedule = () => {
    if (closed || retry) return;
    retry = setTimeout(async () => {
      retry = undefined;
      try {
        await connectOnce();
        retries = 0;
      } catch (err) {
        onLost(err);
        schedule();
      }
    }, backoff(retries++));
    retry.unref?.();
  };

  const connectOnce = async () => {
    const pg = await importDriver<PgModule>("pg", "The near cache's PostgreSQL channel");
    const c = new pg.Client({
      connectionString: options.url,
      connectionTimeoutMillis: timeout,
      application_name: options.applicationName ?? "cloakroom-near-cache",
    });
    let gone = false;
    const drop = (err?: unknown) => {
      if (gone) return;
      gone = true;
      // Our own close() ends the connection: nothing was lost, nothing to report.
      if (closed) return;
      if (client === c) client = undefined;
      onLost(err ?? new Error("postgres channel closed"));
      void c.end().catch(() => undefined);
      schedule();
    };
    c.on("notification", (msg) => {
      if (msg.channel === channel && msg.payload !== undefined) onMessage(msg.payload);
    });
    c.on("error", drop);
    c.on("end", drop);
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch (err) {
      gone = true;
      await c.end().catch(() => undefined);
      throw new StoreUnavailableError(`near cache channel postgres: ${(err as Error)?.message}`, {
        cause: err,
      });
    }
    client = c;
  };

  return {
    kind: "postgres",
    async start(message, lost) {
      onMessage = message;
      onLost = lost;
      await connectOnce();
    },
    async publish(payload) {
      const c = client;
      if (!c) throw new StoreUnavailableError("near cache channel postgres: not connected");
      await c.query({
        text: "SELECT pg_notify($1, $2)",
        values: [channel, payload],
        query_timeout: timeout,
      });
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
