import { handleOf } from "../../core/token.js";
import type { Command } from "./command.js";
import { EXIT, withStore } from "./command.js";

export const revoke: Command = {
  usage: "revoke [store-url] --user <id> [--session <id>] [--dry-run] [--yes]",
  summary: "end one session of a user, or all of them",
  examples: [
    "revoke sqlite:./data/sessions.db --user 42 --session 3q2-7w…",
    "revoke redis://127.0.0.1:6379 --user 42 --dry-run",
    "revoke redis://127.0.0.1:6379 --user 42 --yes",
  ],
  options: {
    user: { type: "string", help: "the user whose sessions to end" },
    session: { type: "string", help: "end only this session (its id, from `sessions`)" },
    "dry-run": { type: "boolean", help: "show what would be ended; change nothing" },
    yes: {
      type: "boolean",
      short: "y",
      help: "end all of the user's sessions without asking (needed without a terminal)",
    },
  },
  async run([url], values, out) {
    const userId = values.user;
    if (typeof userId !== "string" || userId === "") {
      out.error("give --user <id>");
      return EXIT.WARN;
    }
    const handle = values.session;
    const dryRun = values["dry-run"] === true;
    const report = (sessions: string[], n = sessions.length) => {
      if (values.json) out.json({ user: userId, dryRun, revoked: dryRun ? 0 : n, sessions });
      else {
        const what = `${n} session${n === 1 ? "" : "s"} of user ${userId}`;
        out.info(dryRun ? `would revoke ${what}` : `revoked ${what}`);
      }
    };
    return withStore(url, out, async (store) => {
      const live = await Promise.all(
        (await store.listByUser(userId, Date.now())).map(async (r) => ({
          key: r.key,
          id: await handleOf(r.key),
        })),
      );
      if (typeof handle === "string") {
        const target = live.find((s) => s.id === handle);
        if (!target) {
          const message = `user ${userId} has no live session ${handle}`;
          if (values.json) out.json({ error: { code: "NOT_FOUND", message } });
          out.error(message);
          return EXIT.WARN;
        }
        if (!dryRun) await store.destroy(target.key);
        report([handle]);
        return EXIT.OK;
      }
      if (dryRun) {
        report(live.map((s) => s.id));
        return EXIT.OK;
      }
      if (values.yes !== true) {
        const question = `end all ${live.length} live session(s) of user ${userId}?`;
        if (!(await out.confirm(question))) {
          const message = `not confirmed: ${question} Pass --yes to confirm (or --dry-run to look first).`;
          if (values.json) out.json({ error: { code: "NOT_CONFIRMED", message } });
          out.error(message);
          return EXIT.WARN;
        }
      }
      // destroyByUser also ends sessions created since the listing: report its count.
      report(
        live.map((s) => s.id),
        await store.destroyByUser(userId),
      );
      return EXIT.OK;
    });
  },
};
