/**
 * A typo in a store URL's query is an error at start-up naming the accepted
 * parameters (issue 14: `?keyPrefx=` used to be silently ignored). The SQL
 * URLs point at port 1, where nothing listens: the refusal comes before any
 * connection attempt, or the error would be a connection error.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BadStoreUrlError } from "../../src/core/errors.js";
import { createStore } from "../../src/stores/create-store.js";
import { describeWithService } from "../support/services.js";
import {
  dropTable,
  MYSQL_URL,
  mysqlUnavailable,
  PG_URL,
  pgUnavailable,
  uniqueTable,
} from "../support/sql.js";

const dir = mkdtempSync(join(tmpdir(), "cloakroom-url-query-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const enc = encodeURIComponent;

describe("unknown query parameters", () => {
  it.each([
    [
      "redis://127.0.0.1:6379/0?keyPrefx=app:",
      /redis: unknown query parameter "keyPrefx" \(did you mean "keyPrefix"\?\)/,
    ],
    [
      "sqlite::memory:?tabel=s",
      /sqlite: unknown query parameter "tabel" \(did you mean "table"\?\)/,
    ],
    ["memory:?maxx=5", /memory: unknown query parameter "maxx" \(did you mean "max"\?\)/],
    ["memcached://127.0.0.1:11211?prefx=a", /memcached: unknown query parameter "prefx"/],
    [
      "postgres://app@127.0.0.1:1/app?tabel=s",
      /postgres: unknown query parameter "tabel" \(did you mean "table"\?\)/,
    ],
    [
      "postgresql://app@127.0.0.1:1/app?sslmod=require",
      /postgres: unknown query parameter "sslmod" \(did you mean "sslmode"\?\)/,
    ],
    [
      "mysql://app@127.0.0.1:1/app?migrat=1",
      /mysql: unknown query parameter "migrat" \(did you mean "migrate"\?\)/,
    ],
    [
      "mariadb://app@127.0.0.1:1/app?table=s&conectTimeout=5000",
      /mysql: unknown query parameter "conectTimeout" \(did you mean "connectTimeout"\?\)/,
    ],
    [
      `file:${join(dir, "never-made")}?fsynk=false`,
      /file: unknown query parameter "fsynk" \(did you mean "fsync"\?\)/,
    ],
    [
      `tiered:?durable=${enc("memory:")}&cache=${enc("memory:")}&cachettl=5s`,
      /tiered: unknown query parameter "cachettl" \(did you mean "cacheTtl"\?\)/,
    ],
    [
      `tiered:?durable=${enc("memory:")}&cache=${enc("memory:")}&ttl=5s`,
      /tiered: unknown query parameter "ttl"; accepted: durable, cache, cacheTtl, channel, singleProcess, lease$/,
    ],
  ])("%s is refused before connecting", async (url, message) => {
    const err = await createStore(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadStoreUrlError);
    expect((err as BadStoreUrlError).code).toBe("BAD_STORE_URL");
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toMatch(/accepted: /);
  });

  it("known parameters still work", async () => {
    const s = await createStore("memory:?max=5");
    await s.close?.();
    const q = await createStore("sqlite::memory:?table=t_fh&migrate=1");
    await q.close?.();
    const f = await createStore(`file:${join(dir, "files")}?fsync=false`);
    await f.close?.();
    const t = await createStore(
      `tiered:?durable=${enc("memory:")}&cache=${enc("memory:")}&cacheTtl=5s&singleProcess=true`,
    );
    await t.close?.();
  });
});

const withParam = (url: string, params: string) =>
  `${url}${url.includes("?") ? "&" : "?"}${params}`;

describeWithService(
  "postgres",
  pgUnavailable,
  "postgres URL: Cloakroom's and the driver's parameters",
  () => {
    const table = uniqueTable("urlq");
    afterAll(() => dropTable("postgres", table));
    it("opens with table, migrate and node-postgres's own parameters", async () => {
      const store = await createStore(
        withParam(
          PG_URL,
          `table=${table}&migrate=1&application_name=cloakroom-url-test&statement_timeout=5000`,
        ),
      );
      try {
        expect(await store.get("k".repeat(43), Date.now())).toBeNull();
      } finally {
        await store.close?.();
      }
    });
  },
);

describeWithService(
  "mysql",
  mysqlUnavailable,
  "mysql URL: Cloakroom's and the driver's parameters",
  () => {
    const table = uniqueTable("urlq");
    afterAll(() => dropTable("mysql", table));
    it("opens with table, migrate and mysql2's own parameters", async () => {
      const store = await createStore(
        withParam(MYSQL_URL, `table=${table}&migrate=1&connectTimeout=5000&connectionLimit=2`),
      );
      try {
        expect(await store.get("k".repeat(43), Date.now())).toBeNull();
      } finally {
        await store.close?.();
      }
    });
  },
);
