import type { Command } from "./command.js";
import { EXIT, withStore } from "./command.js";

export const migrate: Command = {
  usage: "migrate [store-url]",
  summary: "create or upgrade the session schema (idempotent)",
  examples: ["migrate sqlite:./data/sessions.db", "migrate postgres://app@db/app --json"],
  async run([url], values, out) {
    return withStore(
      url,
      out,
      async (store) => {
        if (!store.migrate) {
          if (values.json) out.json({ store: store.kind, migrations: [] });
          else out.info(`${store.kind}: no schema to migrate`);
          return EXIT.OK;
        }
        const migrations = await store.migrate();
        if (values.json) {
          out.json({ store: store.kind, migrations });
          return EXIT.OK;
        }
        for (const r of migrations) {
          out.info(`  ${String(r.version).padStart(3)} ${r.name} ${r.status}`);
        }
        out.info(`${store.kind}: schema up to date`);
        return EXIT.OK;
      },
      { create: true },
    );
  },
};
