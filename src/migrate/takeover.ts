/**
 * The live takeover: a request with the old library's cookie and no
 * Cloakroom cookie gets the old session, converted, under a Cloakroom token;
 * the old record is removed and the old cookie cleared.
 *
 * Concurrency. The Cloakroom token is derived from the old session id
 * (HMAC under our first secret), so every request carrying one old cookie —
 * on any server — lands on the same Cloakroom record. The old store's atomic
 * `take` picks one of them to create it; the others find it (polling briefly
 * while the winner's create is in flight) and use it, so concurrent requests
 * end with one session and their field-level writes all survive. Within one
 * process, concurrent requests share one takeover (single flight).
 *
 * Replay. Once taken over, the old record is gone. A later request with the
 * old cookie finds only the Cloakroom record, and is given it only within
 * `raceWindow` of the takeover (requests that were already in flight);
 * after that the old cookie is refused. A record written by the bulk import
 * and never claimed is claimed by the first request that brings its cookie.
 */
import type {
  LegacyContext,
  LegacyContextOptions,
  LegacyResult,
  LegacySession,
  LegacySessions,
} from "../core/legacy.js";
import type { RequestInfo } from "../core/session.js";
import { storeKeyOf } from "../core/token.js";
import { convertRecord } from "./convert.js";
import { clearOldCookie, type OldCookieSettings, readOldCookie } from "./old-cookie.js";
import type { LegacySource } from "./sources/index.js";

export interface TakeoverSettings {
  cookie: OldCookieSettings;
  source: () => Promise<LegacySource>;
  userKeys: readonly string[];
  until: number | null;
  raceWindow: number;
  claimWait: number;
}

/** The Cloakroom token secret for an old session id: stable across servers, unguessable without our secret. */
export async function secretForLegacyId(
  context: LegacyContext,
  format: string,
  sid: string,
): Promise<string> {
  return context.derive(`cloakroom-legacy:${format}:${sid}`);
}

/** The `$legacy` metadata of a record, if it came from a takeover or an import. */
function legacyMeta(data: Record<string, string>): { claimedAt?: number; importedAt?: number } {
  const text = data.$legacy;
  if (text === undefined) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" ? (v as { claimedAt?: number; importedAt?: number }) : {};
  } catch {
    return {};
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LegacyTakeover implements LegacySessions {
  readonly #s: TakeoverSettings;
  readonly #inFlight = new Map<string, Promise<LegacySession | null>>();
  readonly #clear: readonly string[];

  constructor(settings: TakeoverSettings) {
    this.#s = settings;
    this.#clear = [clearOldCookie(settings.cookie)];
  }

  async load(
    req: RequestInfo,
    o: LegacyContextOptions,
    context: LegacyContext,
  ): Promise<LegacyResult | null> {
    const s = this.#s;
    // After the transition nothing below runs: no old store is opened, no old cookie read.
    if (s.until !== null && o.now() >= s.until) return null;
    const old = readOldCookie(req.cookie, s.cookie);
    if (!old.present) return null;
    if (old.sid === null) {
      o.logger.debug("cloakroom: legacy cookie ignored: malformed or bad signature");
      return { session: null, setCookies: this.#clear };
    }
    const sid = old.sid;
    let flight = this.#inFlight.get(sid);
    if (flight === undefined) {
      flight = this.#takeOver(sid, req, o, context).finally(() => this.#inFlight.delete(sid));
      this.#inFlight.set(sid, flight);
    }
    const taken = await flight;
    // Each request mutates its own copy of the record as it commits.
    return {
      session: taken === null ? null : { ...taken, record: structuredClone(taken.record) },
      setCookies: this.#clear,
    };
  }

  async #takeOver(
    sid: string,
    req: RequestInfo,
    o: LegacyContextOptions,
    context: LegacyContext,
  ): Promise<LegacySession | null> {
    const s = this.#s;
    const secret = await secretForLegacyId(context, s.cookie.format, sid);
    const key = await storeKeyOf(secret);
    const source = await s.source();
    const raw = await source.take(sid);
    if (raw === null) return this.#findTaken(secret, key, o);
    const now = o.now();
    const converted = convertRecord(raw, {
      now,
      idleTimeout: o.idleTimeout,
      absoluteTimeout: o.absoluteTimeout,
      maxBytes: o.maxBytes,
      userKeys: s.userKeys,
      ip: req.ip ?? null,
      userAgent: req.userAgent ? req.userAgent.slice(0, 512) : null,
      legacy: { claimedAt: now },
    });
    if (!converted.ok) {
      o.logger.debug(`cloakroom: legacy session not taken over: ${converted.reason}`);
      return null;
    }
    try {
      await o.store.create(key, converted.record);
    } catch (err) {
      // Our store refused: put the old record back so the user is not logged out by our outage.
      await source.restore(sid, raw).catch((restoreErr: unknown) => {
        o.logger.warn("cloakroom: could not put a legacy session back after a failed takeover", {
          err: restoreErr,
        });
      });
      throw err;
    }
    return { secret, key, record: converted.record };
  }

  /** The old record was already taken: by a concurrent request (use its session), or long ago (refuse). */
  async #findTaken(
    secret: string,
    key: string,
    o: LegacyContextOptions,
  ): Promise<LegacySession | null> {
    const s = this.#s;
    const deadline = Date.now() + s.claimWait;
    for (;;) {
      const now = o.now();
      const record = await o.store.get(key, now);
      if (record !== null) {
        const meta = legacyMeta(record.data);
        if (meta.claimedAt !== undefined) {
          if (now - meta.claimedAt <= s.raceWindow) return { secret, key, record };
          o.logger.debug("cloakroom: legacy cookie refused: its session was taken over already");
          return null;
        }
        if (meta.importedAt !== undefined) {
          const $legacy = JSON.stringify({ claimedAt: now });
          const result = await o.store.patch(
            key,
            { set: { $legacy }, unset: [], maxBytes: Number.MAX_SAFE_INTEGER },
            now,
          );
          if (result !== "ok") return null;
          record.data.$legacy = $legacy;
          return { secret, key, record };
        }
        return null;
      }
      // Another server may be between its take and its create: a store write away.
      if (Date.now() >= deadline) return null;
      await sleep(25);
    }
  }
}
