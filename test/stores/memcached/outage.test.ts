/**
 * REL-01 on Memcached: a private memcached (its own port, never the shared
 * one) is stopped under a live store. Requests fail fast and closed with
 * StoreUnavailableError, the process carries on, and the same store instance
 * works again once a server is back, with no restart of the app.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { record, testKey } from "cloakroom-sessions/testing";
import { afterAll, expect, it, vi } from "vitest";
import { StoreUnavailableError } from "../../../src/core/errors.js";
import { createStore } from "../../../src/stores/create-store.js";
import type { MemcachedStore } from "../../../src/stores/memcached/index.js";
import { describeWithService, probe } from "../../support/services.js";

const noBinary = await probe("memcached binary", async () =>
  execFileSync("memcached", ["-V"], { stdio: "pipe" }),
);

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

let server: ChildProcess | undefined;
function startMemcached(port: number): ChildProcess {
  // -u: memcached refuses to run as root without it; -U 0: no UDP.
  const args = ["-l", "127.0.0.1", "-p", String(port), "-U", "0", "-m", "8"];
  if (process.getuid?.() === 0) args.push("-u", "root");
  return spawn("memcached", args, { stdio: "ignore" });
}
async function stop(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null) return;
  const exited = new Promise((resolve) => p.once("exit", resolve));
  p.kill("SIGTERM");
  await exited;
}
afterAll(() => stop(server));

describeWithService("memcached (binary)", noBinary, "memcached store outage", () => {
  it("fails closed while the server is down and recovers by itself", async () => {
    const port = await freePort();
    server = startMemcached(port);
    const store = (await createStore(
      `memcached://127.0.0.1:${port}?timeout=500`,
    )) as MemcachedStore;
    try {
      // Readiness by a real round trip (version), never a sleep.
      await vi.waitFor(() => store.ping(), { timeout: 10_000, interval: 50 });
      const key = testKey();
      await store.create(key, record());

      await stop(server);
      const t0 = Date.now();
      await expect(store.get(key, Date.now())).rejects.toBeInstanceOf(StoreUnavailableError);
      const patch = { set: { a: "1" }, unset: [], maxBytes: 65536 };
      await expect(store.patch(key, patch, Date.now())).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
      expect(Date.now() - t0).toBeLessThan(3000);

      server = startMemcached(port); // empty: Memcached keeps nothing across restarts
      await vi.waitFor(() => store.ping(), { timeout: 10_000, interval: 50 });
      expect(await store.get(key, Date.now())).toBeNull(); // the session died with the server: fail closed
      const fresh = testKey();
      await store.create(fresh, record());
      expect(await store.patch(fresh, patch, Date.now())).toBe("ok");
      expect((await store.get(fresh, Date.now()))?.data.a).toBe("1");
    } finally {
      await store.close();
    }
  }, 40_000);
});
