import type { Command } from "./command.js";
import { withStore } from "./command.js";

export const migrate: Command = {
  usage: "migrate <store-url>",
  summary: "create or upgrade the session schema (idempotent)",
  async run([url], _values, out) {
    const code = await withStore(url, out, async (store) => {
      if (!store.migrate) {
        out.info(`${store.kind}: no schema to migrate`);
        return 0;
      }
      const result = (await store.migrate()) as unknown;
      if (Array.isArray(result)) {
        for (const r of result as { version?: number; name?: string; status?: string }[]) {
          out.info(
            `  ${String(r.version ?? "").padStart(3)} ${r.name ?? ""} ${r.status ?? ""}`.trimEnd(),
          );
        }
      }
      out.info(`${store.kind}: schema up to date`);
      return 0;
    });
    return code;
  },
};
