import type { Command } from "./command.js";
import { EXIT, withStore } from "./command.js";

export const stats: Command = {
  usage: "stats [store-url] [--json]",
  summary: "count live and expired sessions and signed-in users",
  examples: ["stats sqlite:./data/sessions.db", "stats redis://127.0.0.1:6379 --json"],
  async run([url], values, out) {
    return withStore(url, out, async (store) => {
      if (!store.stats) {
        const message = `${store.kind}: this store cannot count its sessions`;
        if (values.json) out.json({ error: { code: "NOT_SUPPORTED", message } });
        out.error(message);
        return EXIT.WARN;
      }
      const s = await store.stats(Date.now());
      if (values.json) out.json({ store: store.kind, ...s });
      else {
        out.info(`store        ${store.kind}`);
        out.info(`live         ${s.live.toLocaleString("en")}`);
        out.info(
          `expired      ${s.expired === null ? "n/a (native TTL)" : s.expired.toLocaleString("en")}`,
        );
        out.info(`users        ${s.users === null ? "n/a" : s.users.toLocaleString("en")}`);
      }
      return EXIT.OK;
    });
  },
};
