import { handleOf } from "../../core/token.js";
import type { Command } from "./command.js";
import { EXIT, withStore } from "./command.js";

export const sessions: Command = {
  usage: "sessions [store-url] --user <id> [--json]",
  summary: "list a user's live sessions (id, created, last seen, IP, agent)",
  examples: ["sessions sqlite:./data/sessions.db --user 42", "sessions --user 42 --json"],
  options: { user: { type: "string", help: "the user whose sessions to list" } },
  async run([url], values, out) {
    const userId = values.user;
    if (typeof userId !== "string" || userId === "") {
      out.error("give --user <id>");
      return EXIT.WARN;
    }
    return withStore(url, out, async (store) => {
      const rows = await store.listByUser(userId, Date.now());
      const list = await Promise.all(
        rows.map(async (r) => ({
          id: await handleOf(r.key),
          createdAt: new Date(r.createdAt).toISOString(),
          lastSeenAt: new Date(r.lastSeenAt).toISOString(),
          expiresAt: new Date(Math.min(r.idleExpiresAt, r.absoluteExpiresAt)).toISOString(),
          ip: r.ip,
          userAgent: r.userAgent,
        })),
      );
      if (values.json) {
        out.json(list);
        return EXIT.OK;
      }
      if (list.length === 0) out.info(`no live sessions for user ${userId}`);
      for (const s of list) {
        out.info(
          `${s.id}  created ${s.createdAt}  last seen ${s.lastSeenAt}  ${s.ip ?? "-"}  ${s.userAgent ?? "-"}`,
        );
      }
      return EXIT.OK;
    });
  },
};
