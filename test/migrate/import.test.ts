/**
 * `cloakroom-sessions import` over 2,000 connect-redis records: counts by
 * reason, dry run writes nothing, an interrupted run resumes from its
 * checkpoint, and a user arriving later with the old cookie (old store
 * retired) is signed in by the imported session — once.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bufferOutput } from "../../src/cli/output.js";
import { run } from "../../src/cli/run.js";
import { createSessions } from "../../src/core/manager.js";
import type { SessionStore } from "../../src/core/store.js";
import { fromExpressSession } from "../../src/migrate/index.js";
import { createStore } from "../../src/stores/create-store.js";
import { describeWithService, probe, SERVICE_URLS } from "../support/services.js";
import { NEW_SECRET, OLD_SECRET } from "./apps.js";
import { expressCookie, expressRecord, newSid } from "./old-cookie.js";

const redisDown = await probe("redis", async () => {
  const c = createClient({ url: SERVICE_URLS.redis });
  await c.connect();
  await c.ping();
  c.destroy();
});

const VALID = 1900;
const PLAN = { valid: VALID, expired: 40, undecodable: 20, too_large: 20, empty: 20 };
const TOTAL = Object.values(PLAN).reduce((a, b) => a + b, 0);

describeWithService(
  "redis",
  redisDown,
  "cloakroom-sessions import (2,000 connect-redis records)",
  () => {
    const prefix = `migi-${randomBytes(4).toString("hex")}:`;
    const from = `${SERVICE_URLS.redis}?prefix=${prefix}`;
    const toPrefix = `cloakroom-${prefix}`;
    const to = `${SERVICE_URLS.redis}?keyPrefix=${encodeURIComponent(toPrefix)}`;
    const redis = createClient({ url: SERVICE_URLS.redis });
    const dir = mkdtempSync(join(tmpdir(), "cloakroom-import-"));
    const sids: string[] = [];
    let store: SessionStore;
    const env = { ...process.env };

    beforeAll(async () => {
      await redis.connect();
      process.env.SESSION_SECRET = NEW_SECRET;
      const m = redis.multi();
      const add = (text: string) => {
        const sid = newSid();
        m.set(prefix + sid, text, { PX: 3_600_000 });
        return sid;
      };
      for (let i = 0; i < PLAN.valid; i++)
        sids.push(add(expressRecord({ passport: { user: `u${i}` }, cart: [i] })));
      for (let i = 0; i < PLAN.expired; i++) add(expressRecord({ userId: "old" }, -60_000));
      for (let i = 0; i < PLAN.undecodable; i++) add("{not json");
      for (let i = 0; i < PLAN.too_large; i++)
        add(expressRecord({ userId: "big", blob: "x".repeat(5000) }));
      for (let i = 0; i < PLAN.empty; i++) add(expressRecord({}));
      await m.exec();
      store = await createStore(to);
    });

    afterAll(async () => {
      process.env = env;
      await store?.close?.();
      for (const k of await redis.keys(`${prefix}*`)) await redis.del(k);
      for (const k of await redis.keys(`${toPrefix}*`)) await redis.del(k);
      redis.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    const cli = async (...argv: string[]) => {
      const out = bufferOutput();
      const code = await run(
        ["import", "--from", from, "--to", to, "--max-bytes", "4096", ...argv],
        out,
      );
      return { code, out };
    };
    const newKeys = async () => (await redis.keys(`${toPrefix}*`)).length;

    it("--dry-run counts everything and writes nothing", async () => {
      const { code, out } = await cli("--dry-run", "--json");
      expect(code).toBe(1); // undecodable and too-large records are warnings
      const r = JSON.parse(out.lines[0]!);
      expect(r).toMatchObject({ dryRun: true, done: true, scanned: TOTAL, imported: VALID });
      expect(r.skipped).toEqual({
        expired: 40,
        undecodable: 20,
        too_large: 20,
        empty: 20,
        exists: 0,
      });
      expect(await newKeys()).toBe(0);
    });

    it("imports in resumable runs: stop at --limit, resume from the checkpoint, same totals", async () => {
      const checkpoint = join(dir, "import.json");
      const first = await cli(
        "--json",
        "--checkpoint",
        checkpoint,
        "--batch-size",
        "200",
        "--limit",
        "600",
      );
      const r1 = JSON.parse(first.out.lines[0]!);
      expect(r1.done).toBe(false);
      expect(r1.scanned).toBeGreaterThanOrEqual(600);
      expect(r1.scanned).toBeLessThan(TOTAL);
      expect(JSON.parse(readFileSync(checkpoint, "utf8")).cursor).not.toBeNull();

      const second = await cli("--checkpoint", checkpoint, "--batch-size", "200");
      expect(second.code).toBe(1);
      const line = second.out.lines.join("\n");
      // SCAN may hand a key out twice across a resume: then it counts as "already taken over", never twice imported.
      const m = /([\d,]+) imported/.exec(line)!;
      const exists = Number(/(\d+) already taken over/.exec(line)![1]);
      expect(Number(m[1]!.replace(/,/g, "")) + exists).toBeGreaterThanOrEqual(VALID);
      expect(Number(m[1]!.replace(/,/g, ""))).toBe(VALID);
      expect(second.out.streamed.join("")).toMatch(/imported/);
      expect(await newKeys()).toBeGreaterThanOrEqual(VALID);
      expect(JSON.parse(readFileSync(checkpoint, "utf8")).done).toBe(true);
      // Finished: running it again does nothing.
      const third = await cli("--checkpoint", checkpoint);
      expect(third.code).toBe(0);
      expect(third.out.lines.join("\n")).toMatch(/already finished/);
      // Without a checkpoint, a second import finds every session already there.
      const again = JSON.parse((await cli("--json")).out.lines[0]!);
      expect(again.imported).toBe(0);
      expect(again.skipped.exists).toBe(VALID);
    });

    it("an imported session signs its user in when the old cookie comes back, once", async () => {
      const sid = sids[7]!;
      await redis.del(prefix + sid); // the old store is retired after the import
      const legacy = fromExpressSession({ from, secrets: OLD_SECRET, raceWindow: 200 });
      const m = createSessions({ store, secrets: [NEW_SECRET], legacy });
      const req = { cookie: expressCookie(sid), encrypted: false };
      try {
        const s = await m.load(req);
        expect(s.userId).toBe("u7");
        expect(s.get("cart")).toEqual([7]);
        expect((await m.commit(s)).setCookie).toMatch(/^cloakroom=v1\./);
        await new Promise((r) => setTimeout(r, 300));
        expect((await m.load(req)).userId).toBeNull(); // replayed after the claim: refused
      } finally {
        await legacy.close();
      }
    });

    it("refuses bad arguments", async () => {
      const out = bufferOutput();
      expect(await run(["import", "--to", to], out)).toBe(1);
      expect(out.errors.join("\n")).toMatch(/--from/);
      delete process.env.SESSION_SECRET;
      const out2 = bufferOutput();
      expect(await run(["import", "--from", from, "--to", to], out2)).toBe(1);
      expect(out2.errors.join("\n")).toMatch(/SESSION_SECRET/);
      process.env.SESSION_SECRET = NEW_SECRET;
    });
  },
);
