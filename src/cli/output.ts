/** Where commands write: the terminal by default, a buffer in tests. */
export interface Output {
  info(text: string): void;
  error(text: string): void;
  /** Transient progress; rewritten in place on a terminal, silent otherwise. */
  progress(text: string): void;
  /** Ends a progress line. */
  done(): void;
}

export function consoleOutput(stream: NodeJS.WriteStream = process.stderr): Output {
  let active = false;
  return {
    info: (t) => console.log(t),
    error: (t) => console.error(t),
    progress(t) {
      if (!stream.isTTY) return;
      stream.write(`\r\x1b[2K${t}`);
      active = true;
    },
    done() {
      if (active) stream.write("\n");
      active = false;
    },
  };
}

export function bufferOutput(): Output & {
  lines: string[];
  errors: string[];
  progressed: string[];
} {
  const lines: string[] = [];
  const errors: string[] = [];
  const progressed: string[] = [];
  return {
    lines,
    errors,
    progressed,
    info: (t) => lines.push(t),
    error: (t) => errors.push(t),
    progress: (t) => progressed.push(t),
    done: () => {},
  };
}
