import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// "cloakroom-sessions/*" imported inside this repo (the demo) resolves to src/*.ts,
// as under `npm start` (tsx --conditions=cloakroom-source) and tsc (customConditions).
// Without "module": Node itself ignores it, and packages whose "module" build is not
// loadable by Node (@opentelemetry/api's extensionless ESM, required by prom-client) break.
const conditions = ["cloakroom-source", ...defaultServerConditions.filter((c) => c !== "module")];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Store and browser suites share real servers; files run in parallel, tests within a file in order.
    pool: "forks",
  },
});
