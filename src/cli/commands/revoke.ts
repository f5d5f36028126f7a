import { handleOf } from "../../core/token.js";
import type { Command } from "./command.js";
import { withStore } from "./command.js";

export const revoke: Command = {
  usage: "revoke <store-url> --user <id> [--session <handle>]",
  summary: "end one session of a user, or all of them",
  options: { user: { type: "string" }, session: { type: "string" } },
  async run([url], values, out) {
    const userId = values.user;
    if (typeof userId !== "string" || userId === "") {
      out.error("give --user <id>");
      return 1;
    }
    const handle = values.session;
    return withStore(url, out, async (store) => {
      if (typeof handle === "string") {
        for (const r of await store.listByUser(userId, Date.now())) {
          if ((await handleOf(r.key)) === handle) {
            await store.destroy(r.key);
            out.info(`revoked session ${handle} of user ${userId}`);
            return 0;
          }
        }
        out.error(`user ${userId} has no live session ${handle}`);
        return 1;
      }
      const n = await store.destroyByUser(userId);
      out.info(`revoked ${n} session${n === 1 ? "" : "s"} of user ${userId}`);
      return 0;
    });
  },
};
