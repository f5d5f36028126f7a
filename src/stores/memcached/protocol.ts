/**
 * The few Memcached binary-protocol operations the store needs, with CAS.
 *
 * memjs (1.3) speaks the binary protocol and reads the CAS value of every
 * response, but its `get`/`set`/`delete` neither return nor accept it. Its
 * `perform(key, request, seq, callback)` sends a raw request on the right
 * server's connection (with memjs's reconnects, timeouts and key hashing),
 * so we build the requests ourselves: GET returning the CAS, SET/ADD with a
 * CAS and an expiry, DELETE. Opcodes and status codes: the Memcached binary
 * protocol (https://github.com/memcached/memcached/wiki/BinaryProtocolRevamped).
 */
import { StoreUnavailableError } from "../../core/errors.js";

/** A raw response as memjs parses it. */
export interface RawResponse {
  header: { status: number; opcode: number; cas: Buffer };
  val: Buffer;
  extras: Buffer;
}

/**
 * The subset of a memjs `Client` we use: its connection handling and its
 * sequence numbers, which tie each response to its request.
 * @example const client = memjs.Client.create("127.0.0.1:11211", { retries: 1, timeout: 0.5 });
 */
export interface MemjsClientLike {
  seq: number;
  incrSeq(): void;
  perform(
    key: string,
    request: Buffer,
    seq: number,
    callback: (err: Error | null, response: RawResponse | null) => void,
    retries?: number,
  ): void;
  close(): void;
}

const OP = {
  get: 0x00,
  set: 0x01,
  add: 0x02,
  delete: 0x04,
  increment: 0x05,
  decrement: 0x06,
  version: 0x0b,
} as const;
/** Response status: 0 ok, 1 key not found, 2 key exists (CAS mismatch or ADD on a present key). */
export const STATUS = { ok: 0, notFound: 1, exists: 2 } as const;

/** An opaque CAS value (8 bytes); `null` means "no CAS check". */
export type Cas = Buffer | null;

function request(op: number, key: string, opaque: number, extras: Buffer, value: Buffer, cas: Cas) {
  const k = Buffer.from(key, "latin1");
  const buf = Buffer.alloc(24 + extras.length + k.length + value.length);
  buf.writeUInt8(0x80, 0); // request magic
  buf.writeUInt8(op, 1);
  buf.writeUInt16BE(k.length, 2);
  buf.writeUInt8(extras.length, 4);
  buf.writeUInt32BE(extras.length + k.length + value.length, 8);
  buf.writeUInt32BE(opaque >>> 0, 12);
  if (cas) cas.copy(buf, 16, 0, 8);
  extras.copy(buf, 24);
  k.copy(buf, 24 + extras.length);
  value.copy(buf, 24 + extras.length + k.length);
  return buf;
}

export class MemcachedOps {
  readonly #client: MemjsClientLike;
  readonly #timeout: number;

  /** `timeout`: the longest one operation may take, ms, whatever the client's own settings. */
  constructor(client: MemjsClientLike, timeout: number) {
    this.#client = client;
    this.#timeout = timeout;
  }

  /** The value and its CAS, or null when absent. */
  async get(key: string): Promise<{ value: string; cas: Buffer } | null> {
    const res = await this.#send(key, OP.get, Buffer.alloc(0), Buffer.alloc(0), null);
    if (res.header.status === STATUS.notFound) return null;
    this.#expect(res, "get", [STATUS.ok]);
    return { value: res.val.toString("utf8"), cas: Buffer.from(res.header.cas) };
  }

  /**
   * SET (with `cas`: only if unchanged since that read) or ADD (`mode: "add"`:
   * only if absent). Resolves to the status: ok, notFound (CAS on a key
   * deleted meanwhile) or exists (CAS mismatch, or ADD on a present key).
   */
  async store(
    mode: "set" | "add",
    key: string,
    value: string,
    exptime: number,
    cas: Cas,
  ): Promise<number> {
    const extras = Buffer.alloc(8); // flags (0), then expiry
    extras.writeUInt32BE(exptime, 4);
    const op = mode === "add" ? OP.add : OP.set;
    const res = await this.#send(key, op, extras, Buffer.from(value, "utf8"), cas);
    return this.#expect(res, mode, [STATUS.ok, STATUS.notFound, STATUS.exists]);
  }

  /** DELETE; true when the key existed. With `cas`, only if unchanged (else "exists"). */
  async delete(key: string, cas: Cas = null): Promise<number> {
    const res = await this.#send(key, OP.delete, Buffer.alloc(0), Buffer.alloc(0), cas);
    return this.#expect(res, "delete", [STATUS.ok, STATUS.notFound, STATUS.exists]);
  }

  /**
   * INCR (or DECR for a negative `by`, which stops at 0), creating the
   * counter at `max(by, 0)` with `exptime` when absent — one atomic command.
   * Resolves to the new value.
   */
  async increment(key: string, by: number, exptime: number): Promise<number> {
    const extras = Buffer.alloc(20); // delta, initial value, expiry
    extras.writeBigUInt64BE(BigInt(Math.abs(by)), 0);
    extras.writeBigUInt64BE(BigInt(Math.max(by, 0)), 8);
    extras.writeUInt32BE(exptime, 16);
    const op = by < 0 ? OP.decrement : OP.increment;
    const res = await this.#send(key, op, extras, Buffer.alloc(0), null);
    this.#expect(res, "increment", [STATUS.ok]);
    return Number(res.val.readBigUInt64BE(0));
  }

  /** The server's version string: a real round trip, for readiness probes. */
  async version(key = "probe"): Promise<string> {
    const res = await this.#send(key, OP.version, Buffer.alloc(0), Buffer.alloc(0), null, "");
    this.#expect(res, "version", [STATUS.ok]);
    return res.val.toString("utf8");
  }

  #expect(res: RawResponse, what: string, allowed: number[]): number {
    const status = res.header.status;
    if (!allowed.includes(status)) {
      // e.g. 3 "value too large" (item size limit, -I), 0x82 out of memory.
      throw new StoreUnavailableError(
        `memcached ${what} failed with status 0x${status.toString(16)}`,
      );
    }
    return status;
  }

  #send(
    key: string,
    op: number,
    extras: Buffer,
    value: Buffer,
    cas: Cas,
    wireKey: string = key,
  ): Promise<RawResponse> {
    const client = this.#client;
    client.incrSeq();
    const seq = client.seq;
    const req = request(op, wireKey, seq, extras, value, cas);
    return new Promise<RawResponse>((resolve, reject) => {
      // memjs has its own socket timeouts; this deadline bounds the call even if they misfire.
      const timer = setTimeout(
        () => reject(new StoreUnavailableError(`memcached: no answer in ${this.#timeout} ms`)),
        this.#timeout,
      );
      try {
        client.perform(key, req, seq, (err, res) => {
          clearTimeout(timer);
          if (err || !res) {
            reject(
              new StoreUnavailableError(`memcached: ${err?.message ?? "no response"}`, {
                cause: err,
              }),
            );
          } else resolve(res);
        });
      } catch (err) {
        clearTimeout(timer);
        reject(new StoreUnavailableError("memcached: request failed", { cause: err }));
      }
    });
  }
}
