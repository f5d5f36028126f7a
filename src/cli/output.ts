import type { ProgressStream } from "../stores/sql/cleanup.js";

/** Where commands write: the terminal by default, a buffer in tests. */
export interface Output {
  info(text: string): void;
  error(text: string): void;
  /** For progress lines: redrawn in place on a terminal, periodic lines elsewhere. */
  stream: ProgressStream;
}

export function consoleOutput(): Output {
  return { info: (t) => console.log(t), error: (t) => console.error(t), stream: process.stderr };
}

export function bufferOutput(): Output & { lines: string[]; errors: string[]; streamed: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  const streamed: string[] = [];
  return {
    lines,
    errors,
    streamed,
    info: (t) => lines.push(t),
    error: (t) => errors.push(t),
    stream: { write: (t: string) => streamed.push(t), isTTY: false },
  };
}
