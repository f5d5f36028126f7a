/**
 * The demo's `GET /metrics` (admins only, Prometheus text) and activity page,
 * on SQLite, Redis and PostgreSQL: flows over HTTP move the scraped counters
 * by exactly what happened, store latency is labelled with the backend, and
 * the activity page draws the minute's sessions as an inline SVG.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createStore } from "../../src/stores/create-store.js";
import {
  ADMIN,
  DemoClient,
  type DemoServer,
  startDemo,
  uniqueName,
} from "../support/demo-server.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";
import { dropTable, uniqueTable } from "../support/sql.js";

function parse(text: string): (series: string) => number {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return (series) => out.get(series) ?? 0;
}

const pgTable = uniqueTable("ops_demo_metrics");
const STORES = [
  { name: "SQLite", kind: "sqlite", env: {} as Record<string, string>, unavailable: null },
  {
    name: "Redis",
    kind: "redis",
    env: { SESSION_STORE: `${SERVICE_URLS.redis}?keyPrefix=ops-demo-metrics-${Date.now()}:` },
    unavailable: await probe("redis", async () =>
      (await createStore(SERVICE_URLS.redis)).close?.(),
    ),
  },
  {
    name: "PostgreSQL",
    kind: "postgres",
    env: { SESSION_STORE: `${SERVICE_URLS.postgres}?table=${pgTable}` },
    unavailable: await probe("postgres", async () =>
      (await createStore(SERVICE_URLS.postgres)).close?.(),
    ),
  },
];

for (const s of STORES) {
  describeWithService(s.kind, s.unavailable, `demo /metrics on ${s.name}`, () => {
    let demo: DemoServer;
    let admin: DemoClient;
    const scrape = async () => {
      const r = await admin.get("/metrics");
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      return parse(r.text);
    };

    beforeAll(async () => {
      demo = await startDemo({ env: s.env });
      admin = new DemoClient(demo.url);
      expect((await admin.login(ADMIN.username, ADMIN.password)).status).toBe(303);
    });
    afterAll(async () => {
      await demo?.stop(true);
      if (s.kind === "postgres") await dropTable("postgres", pgTable);
    });

    it("admins only: anonymous → /login, a member → 403", async () => {
      const anon = await new DemoClient(demo.url).get("/metrics");
      expect(anon.status).toBe(303);
      const member = new DemoClient(demo.url);
      await member.register(uniqueName("mm"), "member-password-1");
      expect((await member.get("/metrics")).status).toBe(403);
      expect((await member.get("/admin/activity")).status).toBe(403);
    });

    it("flows over HTTP move the counters by exactly what happened", async () => {
      const before = await scrape();
      const name = uniqueName("mx");
      const password = `pw-${name}-long`;
      const a = new DemoClient(demo.url);
      await a.register(name, password); // csrf session created, then login rotates it
      const b = new DemoClient(demo.url);
      await b.login(name, "wrong password");
      await b.login(name, password);
      await a.post("/sessions/revoke-others"); // ends b
      await a.request("POST", "/logout", { form: { _csrf: "forged" } }); // CSRF refusal
      const cookieName = [...admin.jar.keys()][0]!;
      await fetch(`${demo.url}/api/me`, { headers: { cookie: `${cookieName}=garbage` } });
      await a.post("/logout");
      const after = await scrape();
      const d = (series: string) => after(series) - before(series);
      expect(d('cloakroom_logins_total{result="ok"}')).toBe(2);
      expect(d('cloakroom_logins_total{result="wrong_password"}')).toBe(1);
      expect(d('cloakroom_sessions_revoked_total{reason="revoke_others"}')).toBe(1);
      expect(d("cloakroom_sessions_destroyed_total")).toBe(1);
      expect(d("cloakroom_csrf_refusals_total")).toBe(1);
      expect(d("cloakroom_sessions_rotated_total")).toBe(2); // both logins on csrf sessions
      expect(d('cloakroom_session_cookies_refused_total{reason="malformed"}')).toBe(1);
      const kind = s.kind;
      expect(
        d(`cloakroom_store_operation_duration_seconds_count{operation="get",backend="${kind}"}`),
      ).toBeGreaterThan(0);
      // Two csrf sessions created, then each login rotates one (store.rotate, not a create).
      expect(
        d(`cloakroom_store_operation_duration_seconds_count{operation="create",backend="${kind}"}`),
      ).toBeGreaterThanOrEqual(2);
      expect(
        d(`cloakroom_store_operation_duration_seconds_count{operation="rotate",backend="${kind}"}`),
      ).toBe(2);
      expect(
        after('cloakroom_session_request_duration_seconds_count{phase="load"}'),
      ).toBeGreaterThan(0);
    });

    it("the activity page draws this minute's sessions and store latency as inline SVG", async () => {
      const r = await admin.get("/admin/activity");
      expect(r.status).toBe(200);
      const sessions = r.text.slice(r.text.indexOf('data-testid="sessions-chart"'));
      expect(sessions).toMatch(/<svg [^>]*viewBox="0 0 600 160"/);
      expect(sessions).toMatch(/<rect [^>]*fill="#2f6f4f"><title>created: \d+<\/title>/);
      expect(sessions).toMatch(/<title>revoked: \d+<\/title>/);
      const latency = r.text.slice(r.text.indexOf('data-testid="latency-chart"'));
      expect(latency).toMatch(/<circle [^>]*><title>[\d.]+ ms<\/title>/);
      // The charts are drawn on the server: no script inside them.
      for (const chart of r.text.match(/<svg[\s\S]*?<\/svg>/g) ?? [])
        expect(chart).not.toMatch(/<script/i);
    });
  });
}
