/**
 * Ready sinks for the audit trail: JSON lines to a stream or a file, and
 * your own logger. Combine them by passing an array as `onEvent`.
 */
import { appendFileSync, createWriteStream, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { AuditEvent, AuditSink } from "./audit.js";

/** The subset of a Node `Writable` (a file stream, `process.stdout`, a socket) the sink uses. */
export interface LineWritable {
  write(chunk: string): unknown;
}

/** A sink that can be flushed and closed (file sinks). */
export interface ClosableAuditSink extends AuditSink {
  /** Flushes and closes the file; later events are dropped. */
  close(): Promise<void>;
}

/**
 * One JSON object a line to `stream`. The stream buffers when the consumer
 * is slow (Node's usual `write` semantics).
 * @example createAuth({ sessions, users, onEvent: auditJsonLines(process.stdout) })
 */
export function auditJsonLines(stream: LineWritable): AuditSink {
  return (event) => {
    stream.write(`${jsonLine(event)}\n`);
  };
}

export interface AuditFileOptions {
  /**
   * Append each line synchronously (one `write(2)` with `O_APPEND`, which
   * POSIX keeps whole for concurrent writers), so an event is on disk before
   * the request answers and a crash loses nothing. Costs a syscall per event
   * (tens of µs); audit events are a few per login, not per request.
   * `false`: a buffered stream, for very high event rates.
   * @default true
   */
  sync?: boolean;
  /** Called when a write fails (disk full, permissions). @default console.error */
  onError?: (err: unknown) => void;
}

/**
 * Appends events to `path` as JSON lines, creating the file (mode 0600: the
 * trail holds IP addresses) and its directory.
 * @example
 * const audit = auditFile(process.env.AUDIT_LOG ?? "./data/audit.jsonl");
 * createAuth({ sessions, users, onEvent: [audit, auditToLogger(console)] });
 * // at shutdown: await audit.close();
 */
export function auditFile(path: string, options: AuditFileOptions = {}): ClosableAuditSink {
  const onError = options.onError ?? ((err) => console.error("cloakroom/audit: write failed", err));
  mkdirSync(dirname(path), { recursive: true });
  let closed = false;
  if (options.sync ?? true) {
    const sink = ((event: AuditEvent) => {
      if (closed) return;
      try {
        appendFileSync(path, `${jsonLine(event)}\n`, { mode: 0o600 });
      } catch (err) {
        onError(err);
      }
    }) as ClosableAuditSink;
    sink.close = async () => {
      closed = true;
    };
    return sink;
  }
  const stream = createWriteStream(path, { flags: "a", mode: 0o600 });
  stream.on("error", onError);
  const sink = ((event: AuditEvent) => {
    if (!closed) stream.write(`${jsonLine(event)}\n`);
  }) as ClosableAuditSink;
  sink.close = () =>
    new Promise<void>((resolve) => {
      if (closed) return resolve();
      closed = true;
      stream.end(() => resolve());
    });
  return sink;
}

/** A logger with an `info` method taking a message and an object: console, winston, bunyan-style. */
export interface InfoLogger {
  info(message: string, meta: AuditEvent): void;
}

/**
 * The same events to your logger, as `info("audit login.failed", event)`.
 * For pino (object first) write the one-liner yourself:
 * `onEvent: (e) => pino.info(e, \`audit ${e.type}\`)`.
 */
export function auditToLogger(logger: InfoLogger): AuditSink {
  return (event) => logger.info(`audit ${event.type}`, event);
}

/**
 * One JSON line that stays one line in every viewer: JSON.stringify leaves
 * U+2028, U+2029 and U+0085 raw (valid JSON since ES2019), and some log
 * tools break lines there, so they are escaped too (ASVS 5.0 V16.4.1).
 */
function jsonLine(event: unknown): string {
  return JSON.stringify(event).replace(
    /[\u2028\u2029\u0085]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
