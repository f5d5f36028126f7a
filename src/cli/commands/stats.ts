import type { Command } from "./command.js";
import { withStore } from "./command.js";

export const stats: Command = {
  usage: "stats <store-url> [--json]",
  summary: "count live and expired sessions and signed-in users",
  options: { json: { type: "boolean" } },
  async run([url], values, out) {
    return withStore(url, out, async (store) => {
      if (!store.stats) {
        out.error(`${store.kind}: this store cannot count its sessions`);
        return 1;
      }
      const s = await store.stats(Date.now());
      if (values.json) out.info(JSON.stringify({ store: store.kind, ...s }));
      else {
        out.info(`store        ${store.kind}`);
        out.info(`live         ${s.live.toLocaleString("en")}`);
        out.info(
          `expired      ${s.expired === null ? "n/a (native TTL)" : s.expired.toLocaleString("en")}`,
        );
        out.info(`users        ${s.users === null ? "n/a" : s.users.toLocaleString("en")}`);
      }
      return 0;
    });
  },
};
