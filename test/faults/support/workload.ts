/**
 * A bounded mixed workload over real HTTP, and the bookkeeping that proves
 * nothing acknowledged was lost.
 *
 * Each virtual client is one user with up to two devices (cookies) and runs
 * one request at a time, so its model is exact: reads, two-field writes
 * (`k.a` and `k.b` in one commit), logins, logouts and "log out my other
 * device". A `200` is an acknowledged write and goes into the model; a
 * failure (503, timeout, reset) makes that write uncertain — it may or may
 * not have reached the store — and the model allows both outcomes.
 *
 * Checked during the run (every read) and once more at the end:
 * - every acknowledged field is there with its value (fields are never
 *   overwritten: each write uses a fresh key, so each one is checked alone);
 * - both halves of a write are there or neither (no half-written session);
 * - every acknowledged logout or revocation stays gone (not resurrected);
 * - no response ever carries another user's session.
 * Only a scenario that declares a wipe (a store restarted without
 * persistence) may see a session vanish, and then it must read as a clean
 * "no session".
 */
import { Agent, request } from "node:http";
import { createHistogram, monitorEventLoopDelay } from "node:perf_hooks";

export type ErrorKind = "503" | "timeout" | "reset" | "other";

interface Device {
  cookie: string;
  /** Acknowledged writes: key → value. */
  acked: Map<string, string>;
  /** Writes that failed without an answer: may or may not be stored. */
  uncertain: Map<string, string>;
  /** Created before a declared wipe: may read as "no session". */
  mayBeWiped: boolean;
  ackedAt: number;
}

interface Client {
  user: string;
  devices: [Device | null, Device | null];
  /** Cookies whose logout or revocation was acknowledged: must stay dead. */
  ended: string[];
  seq: number;
}

interface Sample {
  start: number;
  ms: number;
  ok: boolean;
  write: boolean;
  kind?: ErrorKind;
}

export interface WorkloadOptions {
  /** Concurrent clients (users). @default 20 */
  clients?: number;
  /** Per-request deadline of the HTTP client, ms. @default 10000 */
  requestTimeout?: number;
  /** Prefix of user ids, unique per run. */
  name: string;
  /**
   * Soak mode: latencies go into a histogram instead of a list, and only a
   * random sample of this many ended cookies is kept for the final check,
   * so the driver's own memory stays flat however long it runs.
   */
  soak?: { keepEnded: number; driveByPerSecond: number };
}

export interface Violations {
  /** An acknowledged field missing or changed. */
  lostField: number;
  /** A live session that was acknowledged and is gone (no wipe declared). */
  lostSession: number;
  /** An acknowledged logout or revocation undone. */
  resurrected: number;
  /** One half of a two-field write without the other. */
  halfWritten: number;
  /** A response carrying another user's session or a field never written. */
  foreign: number;
}

export interface WorkloadResult {
  requests: number;
  acknowledged: { writes: number; logins: number; logouts: number; revocations: number };
  /** Acknowledged effects checked at the end: live sessions, their fields, ended cookies. */
  checked: number;
  /** Of those, found as acknowledged. */
  found: number;
  /** Sessions that read as a clean "no session" after a declared wipe. */
  wipedClean: number;
  violations: Violations;
  errors: Record<ErrorKind, number>;
  /** p99 latency of requests started between the fault and the recovery, ms. */
  p99FaultMs: number;
  p99AllMs: number;
  /** From the heal (or the fault when nothing heals it) to the first success after the last error, ms. */
  recoveryMs: number | null;
  /**
   * When the errors came, in whole seconds from the fault: "0-3 s: 120 503,
   * 28 s: 1 timeout". Says whether a long recovery is one burst or a late straggler.
   */
  errorTimeline: string;
  /**
   * The fault's own burst: errors from the fault on, each within 2 s of the
   * previous one; from the fault to the first acknowledged write after that
   * burst, ms (null without errors). Errors after it are `lateErrors`; those
   * before the fault are `errorsBeforeFault` (the load's own rate).
   */
  burstEndMs: number | null;
  lateErrors: number;
  errorsBeforeFault: number;
  unhandledRejections: number;
  loopLagP99Ms: number;
  loopLagMaxMs: number;
  heapStartMb: number;
  heapPeakMb: number;
  heapEndMb: number;
  rssStartMb: number;
  rssEndMb: number;
}

const mb = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;

class HttpError extends Error {
  constructor(readonly kind: ErrorKind) {
    super(kind);
  }
}

interface Reply {
  status: number;
  body: { user?: string | null; data?: Record<string, unknown>; count?: number };
  cookie: string | undefined;
  cleared: boolean;
}

export class Workload {
  readonly #base: string;
  readonly #opts: Required<WorkloadOptions>;
  readonly #agent: Agent;
  readonly #clients: Client[] = [];
  readonly #samples: Sample[] = [];
  readonly #errors: Record<ErrorKind, number> = { "503": 0, timeout: 0, reset: 0, other: 0 };
  readonly #violations: Violations = {
    lostField: 0,
    lostSession: 0,
    resurrected: 0,
    halfWritten: 0,
    foreign: 0,
  };
  readonly #acked = { writes: 0, logins: 0, logouts: 0, revocations: 0 };
  readonly #lag = monitorEventLoopDelay({ resolution: 10 });
  readonly #onRejection = () => {
    this.#rejections++;
  };
  #rejections = 0;
  readonly #latency = createHistogram();
  #count = 0;
  #endedSeen = 0;
  /** Sessions created by /driveby and never used again: they must expire by themselves. */
  driveBys = 0;
  /** Between wiped() and healed(): an acknowledgement may have been written before the wipe. */
  #wiping = false;
  #running = false;
  #loops: Promise<void>[] = [];
  #faultAt: number | null = null;
  #healedAt: number | null = null;
  #heapStart = 0;
  #heapPeak = 0;
  #rssStart = 0;
  #memTimer: ReturnType<typeof setInterval> | undefined;
  #wipedClean = 0;
  /** Violation details, for the failure message. */
  readonly notes: string[] = [];

  /** The app's base URL, for a scenario's own probes. */
  get base(): string {
    return this.#base;
  }

  constructor(base: string, options: WorkloadOptions) {
    this.#base = base;
    this.#opts = {
      clients: 20,
      requestTimeout: 10_000,
      soak: { keepEnded: Number.POSITIVE_INFINITY, driveByPerSecond: 0 },
      ...options,
    };
    this.#agent = new Agent({ keepAlive: true, maxSockets: this.#opts.clients * 2 });
    for (let i = 0; i < this.#opts.clients; i++) {
      this.#clients.push({
        user: `${options.name}-u${i}`,
        devices: [null, null],
        ended: [],
        seq: 0,
      });
    }
  }

  /** Points the clients at another app (the app-kill scenario restarts it on a new port). */
  retarget(base: string): void {
    this.#baseOverride = base;
  }
  #baseOverride: string | null = null;

  start(): void {
    this.#running = true;
    process.on("unhandledRejection", this.#onRejection);
    this.#lag.enable();
    const m = process.memoryUsage();
    this.#heapStart = m.heapUsed;
    this.#heapPeak = m.heapUsed;
    this.#rssStart = m.rss;
    this.#memTimer = setInterval(() => {
      this.#heapPeak = Math.max(this.#heapPeak, process.memoryUsage().heapUsed);
    }, 100);
    this.#loops = this.#clients.map((c) => this.#loop(c));
    if (this.#opts.soak.driveByPerSecond > 0) this.#loops.push(this.#driveByLoop());
  }

  /** The fault begins now (latency and recovery are measured from here). */
  fault(): void {
    this.#faultAt = Date.now();
  }

  /** The fault was removed now (server back, process resumed…). */
  healed(): void {
    this.#healedAt = Date.now();
    this.#wiping = false;
  }

  /**
   * The store lost everything it held (restarted without persistence):
   * sessions acknowledged before now may read as "no session", and must
   * then be clean.
   */
  wiped(): void {
    this.#wiping = true;
    for (const c of this.#clients) for (const d of c.devices) if (d) d.mayBeWiped = true;
  }

  async #driveByLoop(): Promise<void> {
    const gap = 1000 / this.#opts.soak.driveByPerSecond;
    let n = 0;
    while (this.#running) {
      const user = `${this.#opts.name}-drive${n++ % 5}`;
      const r = await this.#send("POST", `/driveby?user=${user}`, undefined, true).catch(
        () => null,
      );
      if (r?.status === 200) this.driveBys++;
      await new Promise((res) => setTimeout(res, gap));
    }
  }

  /** Logs every live device out (the end of a soak: the store must then drain to nothing). */
  async logoutAll(): Promise<void> {
    for (const c of this.#clients) {
      for (const slot of [0, 1] as const)
        if (c.devices[slot]) await this.#logout(c, slot).catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  /** Final check of every acknowledged effect, then the figures. Retries 503s for up to `settleMs`. */
  async verify(settleMs = 15_000): Promise<WorkloadResult> {
    let checked = 0;
    let found = 0;
    const deadline = Date.now() + settleMs;
    const read = async (cookie: string): Promise<Reply> => {
      for (;;) {
        try {
          const r = await this.#send("GET", "/me", cookie);
          if (r.status === 200) return r;
        } catch {
          // retried below
        }
        if (Date.now() > deadline) throw new Error("the app did not answer the final reads");
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    for (const c of this.#clients) {
      for (const d of c.devices) {
        if (!d) continue;
        checked += 1 + d.acked.size;
        const r = await read(d.cookie);
        const lost = this.#check(c, d, r, "final");
        if (r.body.user === c.user) found += 1 + d.acked.size - lost;
        else if (r.body.user === null && d.mayBeWiped && this.#clean(r)) {
          found += 1 + d.acked.size; // allowed: the wipe was declared
          this.#wipedClean++;
        }
      }
      for (const cookie of c.ended) {
        checked++;
        const r = await read(cookie);
        if (r.body.user === null && this.#clean(r)) found++;
        else {
          this.#violations.resurrected++;
          this.notes.push(`final: ended session of ${c.user} is back`);
        }
      }
    }
    this.#lag.disable();
    clearInterval(this.#memTimer);
    process.off("unhandledRejection", this.#onRejection);
    this.#agent.destroy();
    const m = process.memoryUsage();
    const soak = this.#opts.soak.keepEnded !== Number.POSITIVE_INFINITY;
    return {
      requests: soak ? this.#count : this.#samples.length,
      acknowledged: { ...this.#acked },
      checked,
      found,
      wipedClean: this.#wipedClean,
      violations: { ...this.#violations },
      errors: { ...this.#errors },
      p99FaultMs: this.#p99(this.#faultWindow()),
      p99AllMs: soak ? Math.round(this.#latency.percentile(99) / 1e6) : this.#p99(() => true),
      recoveryMs: this.#recovery(),
      errorTimeline: this.#errorTimeline(),
      ...this.#burst(),
      unhandledRejections: this.#rejections,
      loopLagP99Ms: Math.round(this.#lag.percentile(99) / 1e5) / 10,
      loopLagMaxMs: Math.round(this.#lag.max / 1e5) / 10,
      heapStartMb: mb(this.#heapStart),
      heapPeakMb: mb(Math.max(this.#heapPeak, m.heapUsed)),
      heapEndMb: mb(m.heapUsed),
      rssStartMb: mb(this.#rssStart),
      rssEndMb: mb(m.rss),
    };
  }

  /** Every user id the workload signs in (clients and drive-bys). */
  get users(): string[] {
    const drive = Array.from({ length: 5 }, (_, i) => `${this.#opts.name}-drive${i}`);
    return [...this.#clients.map((c) => c.user), ...drive];
  }

  /** Number of requests answered so far (for waiting on progress). */
  get requests(): number {
    return this.#count;
  }

  /** Successful acknowledged writes so far. */
  get acknowledgedWrites(): number {
    return this.#acked.writes;
  }

  #faultWindow(): (s: Sample) => boolean {
    const from = this.#faultAt ?? Number.POSITIVE_INFINITY;
    const recovered = this.#recoveredAt();
    const to = recovered ?? this.#healedAt ?? Number.POSITIVE_INFINITY;
    return (s) => s.start >= from && s.start <= to;
  }

  #recoveredAt(): number | null {
    if (this.#faultAt === null) return null;
    const from = this.#faultAt;
    let lastError = -1;
    for (const s of this.#samples)
      if (s.start >= from && !s.ok) lastError = Math.max(lastError, s.start);
    const after = Math.max(lastError, this.#healedAt ?? from);
    let first: number | null = null;
    for (const s of this.#samples) {
      if (s.ok && s.write && s.start >= after) {
        const end = s.start + s.ms;
        if (first === null || end < first) first = end;
      }
    }
    return first;
  }

  #burst(): Pick<WorkloadResult, "burstEndMs" | "lateErrors" | "errorsBeforeFault"> {
    const at = this.#faultAt;
    if (at === null) return { burstEndMs: null, lateErrors: 0, errorsBeforeFault: 0 };
    const errors = this.#samples
      .filter((s) => !s.ok)
      .map((s) => s.start)
      .sort((a, b) => a - b);
    const after = errors.filter((t) => t >= at);
    let end = -1;
    for (const t of after) {
      if (end !== -1 && t - end > 2000) break;
      end = t;
    }
    let first: number | null = null;
    for (const s of this.#samples)
      if (s.ok && s.write && s.start >= end && (first === null || s.start + s.ms < first))
        first = s.start + s.ms;
    return {
      burstEndMs: end === -1 || first === null ? null : first - at,
      lateErrors: after.filter((t) => t > end).length,
      errorsBeforeFault: errors.length - after.length,
    };
  }

  #errorTimeline(): string {
    if (this.#faultAt === null) return "";
    const bySecond = new Map<number, Map<ErrorKind, number>>();
    for (const s of this.#samples) {
      if (s.ok || s.start < this.#faultAt) continue;
      const sec = Math.floor((s.start - this.#faultAt) / 1000);
      const kinds = bySecond.get(sec) ?? new Map<ErrorKind, number>();
      kinds.set(s.kind ?? "other", (kinds.get(s.kind ?? "other") ?? 0) + 1);
      bySecond.set(sec, kinds);
    }
    // Consecutive seconds with errors form one span.
    const spans: { from: number; to: number; kinds: Map<ErrorKind, number> }[] = [];
    for (const sec of [...bySecond.keys()].sort((a, b) => a - b)) {
      const last = spans.at(-1);
      const span = last && last.to === sec - 1 ? last : { from: sec, to: sec, kinds: new Map() };
      if (span !== last) spans.push(span);
      span.to = sec;
      for (const [k, n] of bySecond.get(sec)!) span.kinds.set(k, (span.kinds.get(k) ?? 0) + n);
    }
    return spans
      .map(
        (sp) =>
          `${sp.from === sp.to ? sp.from : `${sp.from}-${sp.to}`} s: ${[...sp.kinds]
            .map(([k, n]) => `${n} ${k}`)
            .join(", ")}`,
      )
      .join("; ");
  }

  #recovery(): number | null {
    const at = this.#recoveredAt();
    if (at === null) return null;
    return Math.max(0, at - (this.#healedAt ?? this.#faultAt!));
  }

  #p99(filter: (s: Sample) => boolean): number {
    const xs = this.#samples.filter(filter).map((s) => s.ms);
    if (xs.length === 0) return 0;
    xs.sort((a, b) => a - b);
    return Math.round(xs[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!);
  }

  #clean(r: Reply): boolean {
    return r.body.user === null && Object.keys(r.body.data ?? {}).length === 0;
  }

  /**
   * Compares a read with the device's model. Returns how many acknowledged
   * fields are missing (0 when the session itself is gone: counted apart).
   */
  #check(c: Client, d: Device, r: Reply, when: string): number {
    const data = (r.body.data ?? {}) as Record<string, unknown>;
    if (r.body.user !== c.user) {
      if (r.body.user !== null) {
        this.#violations.foreign++;
        this.notes.push(`${when}: ${c.user} read user ${r.body.user}`);
      } else if (!this.#clean(r)) {
        this.#violations.foreign++;
        this.notes.push(`${when}: ${c.user} read data without a session`);
      } else if (d.mayBeWiped) this.#wipedClean++;
      else {
        this.#violations.lostSession++;
        this.notes.push(`${when}: ${c.user}'s acknowledged session is gone`);
      }
      return 0;
    }
    let lost = 0;
    for (const [k, v] of d.acked) {
      if (data[`${k}.a`] !== v || data[`${k}.b`] !== v) {
        lost++;
        this.notes.push(`${when}: ${c.user} lost ${k}=${v} (read ${String(data[`${k}.a`])})`);
      }
    }
    this.#violations.lostField += lost;
    const keys = new Set<string>();
    for (const name of Object.keys(data)) keys.add(name.replace(/\.[ab]$/, ""));
    for (const k of keys) {
      const a = data[`${k}.a`];
      const b = data[`${k}.b`];
      if (a !== b) {
        this.#violations.halfWritten++;
        this.notes.push(`${when}: ${c.user} half-written ${k}: ${String(a)} / ${String(b)}`);
      }
      const expected = d.acked.get(k) ?? d.uncertain.get(k);
      if (expected === undefined || (a !== expected && b !== expected)) {
        this.#violations.foreign++;
        this.notes.push(`${when}: ${c.user} read a field it never wrote: ${k}=${String(a)}`);
      }
    }
    return lost;
  }

  async #loop(c: Client): Promise<void> {
    while (this.#running) {
      try {
        await this.#step(c);
      } catch (err) {
        // A request error is already counted; anything else is a driver bug.
        if (!(err instanceof HttpError)) throw err;
        // Back off a little: an outage must not turn the clients into a busy loop.
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }

  async #step(c: Client): Promise<void> {
    const d0 = c.devices[0];
    if (!d0) {
      c.devices[0] = await this.#login(c);
      return;
    }
    const roll = Math.random();
    if (roll < 0.45) {
      const d = c.devices[1] && Math.random() < 0.3 ? c.devices[1] : d0;
      const slot = d === d0 ? 0 : 1;
      const r = await this.#send("GET", "/me", d.cookie, false);
      this.#check(c, d, r, "read");
      if (r.body.user !== c.user) c.devices[slot] = null;
    } else if (roll < 0.8) {
      const slot = c.devices[1] && Math.random() < 0.3 ? 1 : 0;
      const d = c.devices[slot]!;
      if (d.acked.size >= 30) return this.#logout(c, slot);
      const k = `f${++c.seq}`;
      const v = `${c.user}:${c.seq}`;
      let r: Reply;
      try {
        r = await this.#send("POST", `/write?k=${k}&v=${encodeURIComponent(v)}`, d.cookie, true);
      } catch (err) {
        d.uncertain.set(k, v);
        throw err;
      }
      if (r.status === 200) {
        if (this.#wiping) d.mayBeWiped = true;
        d.acked.set(k, v);
        d.ackedAt = Date.now();
        this.#acked.writes++;
      } else if (r.status === 409) {
        if (d.mayBeWiped) this.#wipedClean++;
        else {
          this.#violations.lostSession++;
          this.notes.push(`write: ${c.user}'s acknowledged session is gone`);
        }
        c.devices[slot] = null;
      }
    } else if (roll < 0.88) {
      if (!c.devices[1]) c.devices[1] = await this.#login(c);
      else await this.#logout(c, 1);
    } else if (roll < 0.93) {
      await this.#logout(c, 0);
    } else if (c.devices[1]) {
      const other = c.devices[1];
      const r = await this.#send("POST", "/revoke", d0.cookie, true).catch((err) => {
        // Unknown outcome: the other device may or may not be signed out.
        c.devices[1] = null;
        throw err;
      });
      if (r.status === 200) {
        this.#acked.revocations++;
        this.#ended(c, other.cookie);
        c.devices[1] = null;
      } else if (r.status === 409) {
        c.devices[0] = null;
      }
    }
  }

  async #login(c: Client): Promise<Device | null> {
    const r = await this.#send(
      "POST",
      `/login?user=${encodeURIComponent(c.user)}`,
      undefined,
      true,
    );
    if (r.status !== 200 || !r.cookie)
      throw new Error(`login answered ${r.status} without a cookie`);
    this.#acked.logins++;
    return {
      cookie: r.cookie,
      acked: new Map(),
      uncertain: new Map(),
      mayBeWiped: this.#wiping,
      ackedAt: Date.now(),
    };
  }

  async #logout(c: Client, slot: 0 | 1): Promise<void> {
    const d = c.devices[slot]!;
    c.devices[slot] = null;
    const r = await this.#send("POST", "/logout", d.cookie, true);
    if (r.status === 200) {
      this.#acked.logouts++;
      this.#ended(c, d.cookie);
    }
  }

  #record(s: Sample): void {
    this.#count++;
    if (this.#opts.soak.keepEnded === Number.POSITIVE_INFINITY) this.#samples.push(s);
    else this.#latency.record(Math.max(1, Math.round(s.ms * 1e6)));
  }

  /** Keeps an ended cookie for the final check (in a soak, a uniform random sample of them). */
  #ended(c: Client, cookie: string): void {
    this.#endedSeen++;
    const keep = this.#opts.soak.keepEnded;
    const all = this.#clients.reduce((n, x) => n + x.ended.length, 0);
    if (all < keep) c.ended.push(cookie);
    else if (Math.random() < keep / this.#endedSeen) {
      const victim = this.#clients.find((x) => x.ended.length > 0)!;
      victim.ended.splice(Math.floor(Math.random() * victim.ended.length), 1);
      c.ended.push(cookie);
    }
  }

  #send(method: string, path: string, cookie?: string, write = false): Promise<Reply> {
    const start = Date.now();
    const base = this.#baseOverride ?? this.#base;
    return new Promise<Reply>((resolve, reject) => {
      const req = request(
        `${base}${path}`,
        {
          method,
          agent: this.#agent,
          headers: cookie ? { cookie } : {},
          timeout: this.#opts.requestTimeout,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (b: Buffer) => chunks.push(b));
          res.on("error", () => fail("reset"));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            const setCookie = (res.headers["set-cookie"] ?? []).find((s) =>
              /^(__Host-)?cloakroom=/.test(s),
            );
            const pair = setCookie?.split(";", 1)[0];
            let body: Reply["body"] = {};
            try {
              body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
            } catch {
              body = {};
            }
            if (!(status === 200 || status === 409)) {
              fail(status === 503 ? "503" : "other");
              return;
            }
            this.#record({ start, ms: Date.now() - start, ok: true, write });
            resolve({
              status,
              body,
              cookie: pair && !pair.endsWith("=") ? pair : undefined,
              cleared: pair?.endsWith("=") ?? false,
            });
          });
        },
      );
      let failed = false;
      const fail = (kind: ErrorKind) => {
        if (failed) return;
        failed = true;
        this.#errors[kind]++;
        this.#record({ start, ms: Date.now() - start, ok: false, write, kind });
        reject(new HttpError(kind));
      };
      req.on("timeout", () => {
        fail("timeout");
        req.destroy();
      });
      req.on("error", () => fail("reset"));
      req.end();
    });
  }
}
