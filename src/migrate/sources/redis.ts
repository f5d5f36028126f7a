/**
 * connect-redis's layout: the session as JSON text under `<prefix><sid>`
 * (prefix `sess:` by default), expiring by Redis TTL.
 * URL: `redis://host:port/db?prefix=sess:`.
 */
import type { RedisClientType } from "redis";
import { importDriver } from "../../util/driver.js";
import type { RawRecord } from "../convert.js";
import { type LegacySource, type ScanPage, withTimeout } from "./source.js";

/** Escapes Redis glob characters so a prefix matches only itself in SCAN MATCH. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, "\\$&");
}

function expiryOf(pttl: unknown, now: number): number | null {
  const ms = Number(pttl);
  return Number.isFinite(ms) && ms > 0 ? now + ms : null;
}

export async function redisSource(url: string, timeoutMs: number): Promise<LegacySource> {
  const u = new URL(url);
  const prefix = u.searchParams.get("prefix") ?? "sess:";
  u.searchParams.delete("prefix");
  const { createClient } = await importDriver<typeof import("redis")>(
    "redis",
    "Reading connect-redis sessions",
  );
  const client = createClient({
    url: u.toString(),
    // Fail fast while disconnected (a 503 now) rather than queue until the server returns.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: timeoutMs,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000),
    },
  }) as unknown as RedisClientType;
  client.on("error", () => {
    // Reported through the failing command; the client reconnects by itself.
  });
  let connecting: Promise<unknown> | null = null;
  const ready = async () => {
    if (client.isReady) return;
    connecting ??= client.connect().catch((err: unknown) => {
      connecting = null;
      throw err;
    });
    await withTimeout("old redis store", timeoutMs, connecting);
  };
  const call = async <T>(fn: () => Promise<T>) => {
    await ready();
    return withTimeout("old redis store", timeoutMs, fn());
  };

  return {
    kind: "redis",
    async take(sid) {
      const key = prefix + sid;
      // PTTL and GETDEL in one MULTI: one atomic step, so one caller gets the record.
      const [pttl, text] = (await call(() =>
        client.multi().pTTL(key).getDel(key).exec(),
      )) as unknown as [number, string | null];
      if (text === null || text === undefined) return null;
      return { text: String(text), expiresAt: expiryOf(pttl, Date.now()) };
    },
    async restore(sid, raw: RawRecord) {
      const ttl = raw.expiresAt === null ? 86_400_000 : raw.expiresAt - Date.now();
      if (ttl <= 0) return;
      await call(() => client.set(prefix + sid, raw.text, { PX: ttl, NX: true } as never));
    },
    async scan(cursor, count): Promise<ScanPage> {
      const res = (await call(() =>
        client.scan(cursor ?? "0", { MATCH: `${globEscape(prefix)}*`, COUNT: count } as never),
      )) as unknown as { cursor: string | number; keys: string[] };
      const keys = res.keys;
      const next = String(res.cursor) === "0" ? null : String(res.cursor);
      if (keys.length === 0) return { items: [], cursor: next };
      // MGET answers nil for a key that is not a string (another app's hash under the
      // same prefix) where GET would fail the whole pipeline with WRONGTYPE.
      const m = client.multi().mGet(keys);
      for (const k of keys) m.pTTL(k);
      const [texts, ...ttls] = (await call(() => m.execAsPipeline())) as unknown as [
        (string | null)[],
        ...unknown[],
      ];
      const now = Date.now();
      const items: ScanPage["items"] = [];
      keys.forEach((k, i) => {
        const text = texts[i];
        if (typeof text !== "string") return; // expired between SCAN and MGET, or not a session
        items.push({
          sid: k.slice(prefix.length),
          raw: { text, expiresAt: expiryOf(ttls[i], now) },
        });
      });
      return { items, cursor: next };
    },
    async close() {
      if (client.isOpen) client.destroy();
    },
  };
}
