import { describe, expect, it } from "vitest";
import { Deadlines } from "../../../src/stores/redis/deadlines.js";

const expired = (command: string) => new Error(`${command} timed out`);

describe("redis command deadlines", () => {
  it("pass answers and errors through untouched", async () => {
    const d = new Deadlines(1000, expired);
    await expect(d.run("GET", async () => 42)).resolves.toBe(42);
    await expect(d.run("GET", async () => Promise.reject(new Error("boom")))).rejects.toThrow(
      "boom",
    );
  });

  it("reject a command with no answer after the timeout, never before, and abort it", async () => {
    const d = new Deadlines(200, expired);
    let signal: AbortSignal | undefined;
    const started = performance.now();
    const p = d.run("HGETALL", (s) => {
      signal = s;
      return new Promise(() => {});
    });
    await expect(p).rejects.toThrow("HGETALL timed out");
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(195);
    expect(waited).toBeLessThan(200 * 1.25 + 150);
    expect(signal?.aborted).toBe(true);
  });

  it("do not reject commands that answered, even in the same slice as one that timed out", async () => {
    const d = new Deadlines(100, expired);
    const fast = d.run("GET", async () => "ok");
    const slow = d.run("GET", () => new Promise(() => {}));
    await expect(fast).resolves.toBe("ok");
    await expect(slow).rejects.toThrow("timed out");
  });

  it("share one signal among any number of commands without a MaxListenersExceededWarning", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const d = new Deadlines(1000, expired);
      // What node-redis does with the signal: one abort listener per queued command.
      await Promise.all(
        Array.from({ length: 50 }, () =>
          d.run("GET", (signal) => {
            const onAbort = () => undefined;
            signal.addEventListener("abort", onAbort);
            return new Promise((r) => setTimeout(r, 5)).finally(() =>
              signal.removeEventListener("abort", onAbort),
            );
          }),
        ),
      );
      await new Promise((r) => setImmediate(r));
      expect(warnings).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });
});
