/**
 * CONTRACT §3: `SESSION_SECRET=new,old` keeps cookies signed with `old`
 * working and re-issues them under `new`; once `old` is dropped they are
 * refused. Three starts of the demo on one data directory.
 */
import { afterAll, expect, it } from "vitest";
import { DemoClient, type DemoServer, startDemo, uniqueName } from "../support/demo-server.js";

const OLD = "old-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
const NEW = "new-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

let demo: DemoServer | undefined;
afterAll(async () => {
  await demo?.stop(true);
});

it("re-issues old-secret cookies under the new secret, and refuses them once the old secret is gone", async () => {
  demo = await startDemo({ env: { SESSION_SECRET: OLD } });
  const dataDir = demo.dataDir;
  const c = new DemoClient(demo.url);
  expect((await c.register(uniqueName(), "rotation-password-1")).status).toBe(303);
  const oldCookie = c.jar.get("cloakroom")!;
  await demo.stop();

  demo = await startDemo({ dataDir, env: { SESSION_SECRET: `${NEW},${OLD}` } });
  const old = new DemoClient(demo.url);
  old.jar.set("cloakroom", oldCookie);
  const r = await old.get("/api/me");
  expect(r.status).toBe(200);
  const reissued = old.jar.get("cloakroom")!;
  expect(r.setCookies.some((l) => l.startsWith("cloakroom="))).toBe(true);
  expect(reissued).not.toBe(oldCookie);
  await demo.stop();

  demo = await startDemo({ dataDir, env: { SESSION_SECRET: NEW } });
  const stale = new DemoClient(demo.url);
  stale.jar.set("cloakroom", oldCookie);
  expect((await stale.get("/api/me")).status).toBe(401);
  const fresh = new DemoClient(demo.url);
  fresh.jar.set("cloakroom", reissued);
  expect((await fresh.get("/api/me")).status).toBe(200);
});
