import { createInterface } from "node:readline/promises";
import type { ProgressStream } from "../stores/maintenance/cleanup.js";

/** Where commands write: the terminal by default, a buffer in tests. */
export interface Output {
  info(text: string): void;
  error(text: string): void;
  /** The one JSON document a command prints under `--json` (stdout). */
  json(value: unknown): void;
  /**
   * Asks a yes/no question; false without an interactive terminal, so a
   * script never hangs on a prompt (it passes `--yes` instead).
   */
  confirm(question: string): Promise<boolean>;
  /** For progress lines: redrawn in place on a terminal, periodic lines elsewhere. */
  stream: ProgressStream;
}

export function consoleOutput(): Output {
  return {
    info: (t) => console.log(t),
    error: (t) => console.error(t),
    json: (v) => console.log(JSON.stringify(v, null, 2)),
    confirm: async (question) => {
      if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
      } finally {
        rl.close();
      }
    },
    stream: process.stderr,
  };
}

export function bufferOutput(answer = false): Output & {
  lines: string[];
  errors: string[];
  streamed: string[];
  questions: string[];
} {
  const lines: string[] = [];
  const errors: string[] = [];
  const streamed: string[] = [];
  const questions: string[] = [];
  return {
    lines,
    errors,
    streamed,
    questions,
    info: (t) => lines.push(t),
    error: (t) => errors.push(t),
    json: (v) => lines.push(JSON.stringify(v)),
    confirm: async (q) => {
      questions.push(q);
      return answer;
    },
    stream: { write: (t: string) => streamed.push(t), isTTY: false },
  };
}
