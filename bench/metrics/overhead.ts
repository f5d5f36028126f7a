/**
 * What metrics cost on the bench's Express read (`GET /read` on a signed-in
 * session): CPU microseconds per request in the server, with
 * `cloakroom-sessions/metrics` wired (store timed, manager observed) and
 * without. Server and client share this process, so the client's cost is
 * measured once without Cloakroom's work varying and is the same in both
 * runs; the difference is the metrics' cost. Runs alternate off/on to
 * spread the shared machine's noise.
 *
 *   npx tsx bench/metrics/overhead.ts [requests=4000] [rounds=4] [store=memory:]
 */

import { Agent, request } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { Registry } from "prom-client";
import { session } from "../../src/adapters/express/index.js";
import { createSessions } from "../../src/core/manager.js";
import { createMetrics } from "../../src/metrics/index.js";
import { createStore } from "../../src/stores/create-store.js";

const N = Number(process.argv[2] ?? 4000);
const ROUNDS = Number(process.argv[3] ?? 4);
const STORE = process.argv[4] ?? "memory:";
const SECRET = "overhead-secret-0123456789abcdef-0123456789abcdef";

async function serve(withMetrics: boolean) {
  let store = await createStore(STORE);
  await store.migrate?.();
  const metrics = withMetrics ? await createMetrics({ registry: new Registry() }) : null;
  if (metrics) store = metrics.store(store);
  const sessions = createSessions({ store, secrets: [SECRET] });
  metrics?.observe(sessions);
  const app = express();
  app.use(session(sessions));
  app.post("/login", (req, res) => {
    req.session.setUser("u1").set("counter", 0);
    res.json({ ok: true });
  });
  app.get("/read", (req, res) => {
    res.json({ user: req.session.userId });
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  return { server, port: (server.address() as AddressInfo).port, store };
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function call(port: number, method: string, path: string, cookie?: string) {
  return new Promise<{ status: number; cookie?: string }>((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, method, path, agent, headers: cookie ? { cookie } : {} },
      (res) => {
        res.resume();
        res.on("end", () =>
          resolve({
            status: res.statusCode!,
            cookie: res.headers["set-cookie"]?.[0]?.split(";")[0],
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function round(withMetrics: boolean): Promise<number> {
  const { server, port, store } = await serve(withMetrics);
  const { cookie } = await call(port, "POST", "/login");
  for (let i = 0; i < 300; i++) await call(port, "GET", "/read", cookie); // warm up
  const cpu = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const r = await call(port, "GET", "/read", cookie);
    if (r.status !== 200) throw new Error(`status ${r.status}`);
  }
  const used = process.cpuUsage(cpu);
  server.close();
  await store.close?.();
  return (used.user + used.system) / N;
}

// One discarded round of each: JIT and module loading land there.
await round(false);
await round(true);
const off: number[] = [];
const on: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  off.push(await round(false));
  on.push(await round(true));
}
agent.destroy();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(", ");
console.log(`store ${STORE}, ${N} reads x ${ROUNDS} rounds, CPU µs per request (server + client)`);
console.log(`metrics off: ${fmt(off)}  median ${median(off).toFixed(1)}`);
console.log(`metrics on:  ${fmt(on)}  median ${median(on).toFixed(1)}`);
console.log(
  `difference: ${(median(on) - median(off)).toFixed(1)} µs/request (${(((median(on) - median(off)) / median(off)) * 100).toFixed(1)}%)`,
);
