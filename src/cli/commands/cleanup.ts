import { runCleanup } from "../../stores/sql/cleanup.js";
import type { Command } from "./command.js";
import { withStore } from "./command.js";

export const cleanup: Command = {
  usage: "cleanup <store-url> [--batch-size N] [--limit N]",
  summary: "delete expired sessions in bounded batches, with progress",
  options: { "batch-size": { type: "string" }, limit: { type: "string" } },
  async run([url], values, out) {
    const batchSize = values["batch-size"] === undefined ? 1000 : Number(values["batch-size"]);
    const limit = values.limit === undefined ? undefined : Number(values.limit);
    if (!Number.isInteger(batchSize) || batchSize <= 0 || (limit !== undefined && !(limit >= 0))) {
      out.error("--batch-size and --limit take positive whole numbers");
      return 1;
    }
    return withStore(url, out, async (store) => {
      if (store.capabilities.nativeTtl) {
        out.info(`${store.kind}: records expire by themselves (native TTL); nothing to clean up`);
        return 0;
      }
      await runCleanup(store, {
        batchSize,
        ...(limit !== undefined ? { limit } : {}),
        out: out.stream,
      });
      return 0;
    });
  },
};
