/**
 * A TCP proxy on loopback between the app and its store, with the network
 * faults the fault tests need:
 * - `latency`: every chunk delayed by `ms` in each direction (order kept);
 * - `hold`: a partition — connections are accepted but nothing is
 *   forwarded; what was sent waits, as TCP retransmission would keep it, and
 *   goes through when the partition heals (`pass` again);
 * - `reset`: every open connection is reset (RST) now, and new ones while
 *   the mode lasts;
 * - `lossy`: each chunk has probability `p` of resetting its connection.
 * Bytes are never dropped from a live stream: TCP does not do that.
 */
import { createServer, type Server, Socket } from "node:net";

export type ProxyMode =
  | { kind: "pass" }
  | { kind: "latency"; ms: number }
  | { kind: "hold" }
  | { kind: "reset" }
  | { kind: "lossy"; p: number };

interface Pipe {
  client: Socket;
  upstream: Socket;
  /** Chunks held back during a partition, per direction. */
  held: { to: Socket; chunk: Buffer }[];
}

export class FaultProxy {
  readonly port: number;
  #mode: ProxyMode = { kind: "pass" };
  readonly #pipes = new Set<Pipe>();
  readonly #server: Server;
  /** Connections accepted (reconnects show here). */
  accepted = 0;
  resets = 0;

  private constructor(server: Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    let proxy: FaultProxy | undefined;
    const server = createServer((client) => proxy!.#accept(client, target));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    proxy = new FaultProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  set(mode: ProxyMode): void {
    this.#mode = mode;
    if (mode.kind === "reset") for (const p of [...this.#pipes]) this.#reset(p);
    if (mode.kind === "pass" || mode.kind === "latency") {
      for (const p of this.#pipes) {
        for (const h of p.held.splice(0)) if (!h.to.destroyed) this.#send(h.to, h.chunk, 0);
      }
    }
  }

  async close(): Promise<void> {
    for (const p of [...this.#pipes]) {
      p.client.destroy();
      p.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket, target: { host: string; port: number }): void {
    this.accepted++;
    client.on("error", () => undefined);
    if (this.#mode.kind === "reset") {
      this.resets++;
      client.resetAndDestroy();
      return;
    }
    const upstream = new Socket();
    upstream.on("error", () => undefined);
    const pipe: Pipe = { client, upstream, held: [] };
    this.#pipes.add(pipe);
    const end = () => {
      if (!this.#pipes.delete(pipe)) return;
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end);
    upstream.on("close", end);
    upstream.connect(target.port, target.host);
    client.on("data", (chunk: Buffer) => this.#forward(pipe, upstream, chunk));
    upstream.on("data", (chunk: Buffer) => this.#forward(pipe, client, chunk));
  }

  /** Delayed chunks per destination, in order: one timer drains each queue, so nothing overtakes. */
  readonly #queues = new WeakMap<Socket, { at: number; chunk: Buffer }[]>();

  #send(to: Socket, chunk: Buffer, delay: number): void {
    let q = this.#queues.get(to);
    if (!q) {
      q = [];
      this.#queues.set(to, q);
    }
    if (q.length === 0 && delay === 0) {
      to.write(chunk);
      return;
    }
    q.push({ at: Date.now() + delay, chunk });
    if (q.length === 1) this.#drain(to, q);
  }

  #drain(to: Socket, q: { at: number; chunk: Buffer }[]): void {
    while (q.length > 0 && q[0]!.at <= Date.now()) {
      const { chunk } = q.shift()!;
      if (!to.destroyed) to.write(chunk);
    }
    if (q.length > 0) setTimeout(() => this.#drain(to, q), q[0]!.at - Date.now());
  }

  #forward(pipe: Pipe, to: Socket, chunk: Buffer): void {
    const m = this.#mode;
    switch (m.kind) {
      case "pass":
        this.#send(to, chunk, 0);
        return;
      case "latency":
        this.#send(to, chunk, m.ms);
        return;
      case "hold":
        pipe.held.push({ to, chunk });
        return;
      case "reset":
        this.#reset(pipe);
        return;
      case "lossy":
        if (Math.random() < m.p) this.#reset(pipe);
        else this.#send(to, chunk, 0);
        return;
    }
  }

  #reset(pipe: Pipe): void {
    this.resets++;
    this.#pipes.delete(pipe);
    pipe.client.resetAndDestroy();
    pipe.upstream.resetAndDestroy();
  }
}
