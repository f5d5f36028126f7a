/**
 * `cloakroom-sessions/metrics`: Prometheus metrics (prom-client) and
 * OpenTelemetry spans (@opentelemetry/api) for sessions, both optional
 * peers. Catalogue and wiring in docs/operations.md.
 * @example
 * const metrics = await createMetrics();
 * const store = traceStore(metrics.store(await createStore(url)), { url });
 * const sessions = createSessions({ store, secrets });
 * metrics.observe(sessions);
 */
export type { MetricsOptions, PoolLike, SessionMetrics } from "./prometheus.js";
export { createMetrics, STORE_BUCKETS } from "./prometheus.js";
export type { TraceOptions } from "./tracing.js";
export { traceStore } from "./tracing.js";
export type { AroundStoreCall, StoreOperation } from "./wrap-store.js";
export { STORE_OPERATIONS, wrapStore } from "./wrap-store.js";
