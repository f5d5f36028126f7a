/**
 * What `legacyProperties` costs per request, in-process (no HTTP, memory
 * store): load + the handler's work + commit, with the Cloakroom API and
 * with express-session style property access, on a session of a few keys
 * (a user object, a 20-item cart, a theme, a CSRF token, a flash list).
 * Run: npx tsx bench/migrate/legacy-properties.ts
 */
import type { ResponseHeaders } from "../../src/adapters/common/outcome.js";
import { RequestSession } from "../../src/adapters/common/request-session.js";
import { createSessions } from "../../src/core/manager.js";
import { createStore } from "../../src/stores/create-store.js";

const N = Number(process.env.N ?? 20_000);
const SECRET = "a-bench-secret-of-at-least-32-bytes-long!!";
const target: ResponseHeaders<null> = {
  sent: () => false,
  get: () => undefined,
  set: () => {},
  getSetCookies: () => [],
  setSetCookies: () => {},
};

async function run(legacyProperties: boolean, write: boolean): Promise<number> {
  const store = await createStore("memory:");
  const m = createSessions({ store, secrets: [SECRET], legacyProperties, touchInterval: "1h" });
  const first = await m.load({ cookie: "", encrypted: false }, new RequestSession(m, target, null));
  first.set("user", { id: 42, name: "ada", roles: ["admin", "staff"] });
  first.set(
    "cart",
    Array.from({ length: 20 }, (_, i) => ({ sku: `sku-${i}`, qty: 1 })),
  );
  first.set("theme", "dark");
  first.set("csrf", "x".repeat(43));
  first.set("flash", []);
  const cookie = (await m.commit(first)).setCookie!.split(";")[0]!;
  const req = { cookie, encrypted: false };
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const s = await m.load(req, new RequestSession(m, target, null));
    if (legacyProperties) {
      const p = s as unknown as Record<string, unknown>;
      const user = p.user as { name: string };
      void user.name;
      void (p.theme as string);
      if (write) (p.cart as { sku: string; qty: number }[])[i % 20]!.qty = i;
    } else {
      void s.get<{ name: string }>("user")!.name;
      void s.get<string>("theme");
      if (write)
        s.update<{ sku: string; qty: number }[]>("cart", (c) =>
          c!.map((x, j) => (j === i % 20 ? { ...x, qty: i } : x)),
        );
    }
    await s.save();
  }
  const us = Number(process.hrtime.bigint() - t0) / 1000 / N;
  await store.close?.();
  return us;
}

for (const write of [false, true]) {
  // Warm up both paths, then measure each twice and keep the faster (a busy machine adds noise only upwards).
  await run(false, write);
  await run(true, write);
  const plain = Math.min(await run(false, write), await run(false, write));
  const legacy = Math.min(await run(true, write), await run(true, write));
  console.log(
    `${write ? "read 2 keys + change 1 item of a 20-item cart" : "read 2 keys"}: Cloakroom API ${plain.toFixed(1)} µs/request, legacyProperties ${legacy.toFixed(1)} µs/request (+${(legacy - plain).toFixed(1)} µs)`,
  );
}
