/**
 * The metrics' own cost without HTTP noise: `load` + `commit` of a
 * signed-in session on the memory store, in a tight loop, CPU µs per
 * request with `cloakroom-sessions/metrics` wired and without. Complements
 * overhead.ts, whose HTTP round trips swamp a few microseconds on a shared
 * machine.
 *
 *   npx tsx bench/metrics/overhead-core.ts [requests=50000] [rounds=5]
 */
import { Registry } from "prom-client";
import { createSessions } from "../../src/core/manager.js";
import { createMetrics } from "../../src/metrics/index.js";
import { createStore } from "../../src/stores/create-store.js";

const N = Number(process.argv[2] ?? 50_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const SECRET = "overhead-secret-0123456789abcdef-0123456789abcdef";

async function round(withMetrics: boolean): Promise<number> {
  let store = await createStore("memory:");
  const metrics = withMetrics ? await createMetrics({ registry: new Registry() }) : null;
  if (metrics) store = metrics.store(store);
  const sessions = createSessions({ store, secrets: [SECRET] });
  metrics?.observe(sessions);
  const first = await sessions.load({ cookie: null, encrypted: false });
  first.setUser("u1");
  const cookie = (await sessions.commit(first)).setCookie!.split(";")[0]!;
  const cpu = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const s = await sessions.load({ cookie, encrypted: false, ip: "203.0.113.1" });
    if (s.userId !== "u1") throw new Error("lost the session");
    await sessions.commit(s);
  }
  const used = process.cpuUsage(cpu);
  await store.close?.();
  return (used.user + used.system) / N;
}

await round(false);
await round(true);
const off: number[] = [];
const on: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  off.push(await round(false));
  on.push(await round(true));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(", ");
console.log(`load+commit on memory:, ${N} x ${ROUNDS} rounds, CPU µs per request`);
console.log(`metrics off: ${fmt(off)}  median ${median(off).toFixed(2)}`);
console.log(`metrics on:  ${fmt(on)}  median ${median(on).toFixed(2)}`);
console.log(`difference: ${(median(on) - median(off)).toFixed(2)} µs/request`);
