import { defineConfig } from "vitest/config";

/**
 * `npm run test:faults`, `test:long` and `test:fuzz:long`: the long forms of
 * the fault, soak and fuzz files (their short forms run inside `npm test`).
 * One file at a time: each starts and kills its own servers and measures
 * latency, which a neighbour's load would distort.
 */
export default defineConfig({
  test: {
    include: ["test/faults/**/*.test.ts", "test/fuzz/**/*.test.ts"],
    testTimeout: 30 * 60_000,
    hookTimeout: 5 * 60_000,
    pool: "forks",
    fileParallelism: false,
    poolOptions: { forks: { execArgv: ["--expose-gc"] } },
  },
});
