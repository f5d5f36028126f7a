/**
 * Child process for autocannon (used when wrk is absent): one run, the
 * result as one JSON line on stdout. A separate process so the load never
 * shares an event loop or a core with the harness or the server.
 */
import autocannon from "autocannon";
import type { LoadResult, LoadSpec } from "./load.js";

const spec = JSON.parse(process.argv[2]!) as LoadSpec;
const result = await autocannon({
  url: spec.url,
  method: spec.method,
  connections: spec.connections,
  duration: spec.seconds,
  headers: { cookie: spec.cookie },
});
const out: LoadResult = {
  requests: result.requests.total,
  rps: result.requests.total / (result.duration || spec.seconds),
  p50_ms: result.latency.p50,
  p99_ms: result.latency.p99,
  errors: result.non2xx + result.errors + result.timeouts,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
