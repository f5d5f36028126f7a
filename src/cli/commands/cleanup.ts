import { hasNativeTtl } from "../../core/store.js";
import { runCleanup } from "../../stores/maintenance/cleanup.js";
import type { Command } from "./command.js";
import { EXIT, withStore } from "./command.js";

export const cleanup: Command = {
  usage: "cleanup [store-url] [--batch-size N] [--limit N]",
  summary: "delete expired sessions in bounded batches, with progress",
  examples: [
    "cleanup sqlite:./data/sessions.db",
    "cleanup postgres://app@db/app --batch-size 5000 --limit 1000000",
  ],
  options: {
    "batch-size": { type: "string", help: "rows per delete statement (default 1000)" },
    limit: { type: "string", help: "stop after this many rows (default: all)" },
  },
  async run([url], values, out) {
    const batchSize = values["batch-size"] === undefined ? 1000 : Number(values["batch-size"]);
    const limit = values.limit === undefined ? undefined : Number(values.limit);
    if (!Number.isInteger(batchSize) || batchSize <= 0 || (limit !== undefined && !(limit >= 0))) {
      out.error("--batch-size and --limit take positive whole numbers");
      return EXIT.WARN;
    }
    return withStore(url, out, async (store) => {
      if (hasNativeTtl(store)) {
        if (values.json) out.json({ store: store.kind, removed: 0, nativeTtl: true });
        else
          out.info(`${store.kind}: records expire by themselves (native TTL); nothing to clean up`);
        return EXIT.OK;
      }
      const summary = await runCleanup(store, {
        batchSize,
        ...(limit !== undefined ? { limit } : {}),
        out: out.stream,
      });
      if (values.json) out.json({ store: store.kind, nativeTtl: false, ...summary });
      return EXIT.OK;
    });
  },
};
