/**
 * Finding 3 (issue 10): with secrets `[new, old]`, a cookie signed with `old`
 * is re-issued under `new` — and the re-issued cookie must keep working in
 * the very process that issued it. The verified-token cache had remembered
 * the secret part with the old MAC and refused the new one (401 and a
 * cleared cookie: rotation logged everyone out). Each adapter, then the demo.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { DemoClient, type DemoServer, startDemo, uniqueName } from "../support/demo-server.js";
import { FRAMEWORKS, OTHER_SECRET, SECRET, type SecApp, startApp } from "../support/security.js";

const apps: SecApp[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

const cookieOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .find((c) => c.startsWith("cloakroom="))
    ?.split(";", 1)[0];

describe.each(FRAMEWORKS)("%s", (framework) => {
  it("the re-issued cookie works on the next request to the same process", async () => {
    const backing = new MemoryStore({ sweepInterval: 0 });
    // Sign the session in under the old secret alone.
    const app0 = await startApp({ framework, backing, secrets: [OTHER_SECRET] });
    apps.push(app0);
    const login = await fetch(`${app0.url}/login/ada`, { method: "POST" });
    const oldCookie = cookieOf(login)!;
    expect(oldCookie).toBeDefined();

    // Rotate: the new secret signs, the old one still verifies.
    const app = await startApp({ framework, backing, secrets: [SECRET, OTHER_SECRET] });
    apps.push(app);
    const first = await fetch(`${app.url}/who`, { headers: { cookie: oldCookie } });
    expect(((await first.json()) as { userId: string }).userId).toBe("ada");
    const reissued = cookieOf(first);
    expect(reissued).toBeDefined();
    expect(reissued).not.toBe(oldCookie);

    for (let n = 0; n < 3; n++) {
      const again = await fetch(`${app.url}/who`, { headers: { cookie: reissued! } });
      expect(again.status).toBe(200);
      expect(((await again.json()) as { userId: string | null }).userId).toBe("ada");
      // Nothing cleared: no Max-Age=0 for the session cookie.
      expect(again.headers.getSetCookie().some((c) => /Max-Age=0/i.test(c))).toBe(false);
    }
    // The old cookie still works too while the old secret is listed.
    const old = await fetch(`${app.url}/who`, { headers: { cookie: oldCookie } });
    expect(((await old.json()) as { userId: string | null }).userId).toBe("ada");
  });
});

describe("demo with SESSION_SECRET=new,old", () => {
  const OLD = "old-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
  const NEW = "new-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
  let demo: DemoServer | undefined;
  afterEach(async () => {
    await demo?.stop(true);
    demo = undefined;
  });

  it("keeps the user signed in across the re-issue, in one process", async () => {
    demo = await startDemo({ env: { SESSION_SECRET: OLD } });
    const dataDir = demo.dataDir;
    const c = new DemoClient(demo.url);
    expect((await c.register(uniqueName(), "rotation-password-1")).status).toBe(303);
    const oldCookie = c.jar.get("cloakroom")!;
    await demo.stop();

    demo = await startDemo({ dataDir, env: { SESSION_SECRET: `${NEW},${OLD}` } });
    const client = new DemoClient(demo.url);
    client.jar.set("cloakroom", oldCookie);
    expect((await client.get("/api/me")).status).toBe(200);
    expect(client.jar.get("cloakroom")).not.toBe(oldCookie);
    for (let n = 0; n < 3; n++) {
      const r = await client.get("/api/me");
      expect(r.status).toBe(200);
      expect(r.setCookies.some((l) => /Max-Age=0/i.test(l))).toBe(false);
    }
  });
});
