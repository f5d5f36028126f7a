/**
 * `cloakroom-sessions import --from <old-store-url> --to <store-url>`: copies
 * express-session / @fastify/session records into Cloakroom ahead of a
 * cut-over. Needs the app's SESSION_SECRET (the first secret derives each
 * session's key, as the live takeover does) and the app's timeouts.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { hmac } from "../../core/crypto.js";
import { parseDuration } from "../../core/duration.js";
import { ConfigurationError } from "../../core/errors.js";
import { signingKeys } from "../../core/token.js";
import { DEFAULT_USER_KEYS } from "../../migrate/convert.js";
import { type ImportCounts, importSessions } from "../../migrate/import.js";
import type { LegacyFormat } from "../../migrate/old-cookie.js";
import { openLegacySource } from "../../migrate/sources/index.js";
import { createStore, redact } from "../../stores/create-store.js";
import type { Command } from "./command.js";
import { EXIT } from "./command.js";

interface Checkpoint {
  from: string;
  to: string;
  cursor: string | null;
  done: boolean;
  counts: ImportCounts;
}

function readCheckpoint(file: string, from: string, to: string): Checkpoint | null {
  if (!existsSync(file)) return null;
  const c = JSON.parse(readFileSync(file, "utf8")) as Checkpoint;
  if (c.from !== from || c.to !== to) {
    throw new ConfigurationError(
      `checkpoint ${file} belongs to another import (${c.from} → ${c.to}); remove it or give another --checkpoint`,
    );
  }
  return c;
}

/** Written to a temporary file and renamed, so an interruption never leaves half a checkpoint. */
function writeCheckpoint(file: string, c: Checkpoint): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(c, null, 2));
  renameSync(`${file}.tmp`, file);
}

function summary(c: ImportCounts): string {
  const s = c.skipped;
  return `${c.scanned.toLocaleString("en")} read, ${c.imported.toLocaleString("en")} imported, skipped: ${s.expired} expired, ${s.undecodable} undecodable, ${s.too_large} too large, ${s.empty} empty, ${s.exists} already taken over`;
}

export const importCommand: Command = {
  usage: "import --from <old-store-url> [--to <store-url>] [--user-key passport.user] [--dry-run]",
  summary: "copy express-session / @fastify/session sessions into Cloakroom (resumable)",
  examples: [
    "import --from redis://127.0.0.1:6379?prefix=sess: --to redis://127.0.0.1:6379/1",
    "import --from postgres://app@db/app?table=session --to postgres://app@db/app --checkpoint import.json",
    "import --from file:./sessions --to sqlite:./data/sessions.db --dry-run --json",
  ],
  options: {
    from: {
      type: "string",
      help: "the old store: redis://…?prefix=sess: (connect-redis), postgres://…?table=session (connect-pg-simple), file:./sessions (session-file-store)",
    },
    to: { type: "string", help: "the Cloakroom store URL (default: SESSION_STORE)" },
    format: {
      type: "string",
      help: "express-session (default) or fastify-session: which library wrote the records",
    },
    "user-key": {
      type: "string",
      help: "dotted path(s) of the user id, comma-separated (default passport.user,userId,user_id)",
    },
    "dry-run": { type: "boolean", help: "read and convert everything, write nothing" },
    checkpoint: {
      type: "string",
      help: "file recording progress after each page; an interrupted import resumes from it",
    },
    "batch-size": { type: "string", help: "records per page (default 500)" },
    limit: {
      type: "string",
      help: "stop after about this many records (a page boundary); resume with the same --checkpoint",
    },
    concurrency: { type: "string", help: "writes in flight (default 32)" },
    "idle-timeout": {
      type: "string",
      help: "the app's idle timeout (default SESSION_IDLE_TIMEOUT or 30m)",
    },
    "absolute-timeout": {
      type: "string",
      help: "the app's absolute lifetime (default SESSION_ABSOLUTE_TIMEOUT or 12h)",
    },
    "max-bytes": { type: "string", help: "the app's session size limit (default 65536)" },
  },
  async run(_positionals, values, out) {
    const from = values.from as string | undefined;
    const to = (values.to as string | undefined) ?? process.env.SESSION_STORE;
    const format = (values.format ?? "express-session") as LegacyFormat;
    const refuse = (message: string) => {
      if (values.json) out.json({ error: { code: "BAD_ARGUMENTS", message } });
      out.error(message);
      return EXIT.WARN;
    };
    if (!from) return refuse("give the old store with --from");
    if (!to) return refuse("give the Cloakroom store with --to (or set SESSION_STORE)");
    if (format !== "express-session" && format !== "fastify-session")
      return refuse("--format is express-session or fastify-session");
    const secrets = process.env.SESSION_SECRET?.split(",").filter((s) => s.length > 0) ?? [];
    if (secrets.length === 0)
      return refuse(
        "set SESSION_SECRET to the app's secrets: the first one derives each session's key",
      );
    const batchSize = Number(values["batch-size"] ?? 500);
    const concurrency = Number(values.concurrency ?? 32);
    const maxBytes = Number(values["max-bytes"] ?? 65536);
    const limit = values.limit === undefined ? undefined : Number(values.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit <= 0))
      return refuse("--limit takes a positive whole number");
    for (const [name, n] of [
      ["--batch-size", batchSize],
      ["--concurrency", concurrency],
      ["--max-bytes", maxBytes],
    ] as const) {
      if (!Number.isInteger(n) || n <= 0) return refuse(`${name} takes a positive whole number`);
    }
    const idleTimeout = parseDuration(
      (values["idle-timeout"] as string | undefined) ?? process.env.SESSION_IDLE_TIMEOUT ?? "30m",
      "--idle-timeout",
    );
    const absoluteTimeout = parseDuration(
      (values["absolute-timeout"] as string | undefined) ??
        process.env.SESSION_ABSOLUTE_TIMEOUT ??
        "12h",
      "--absolute-timeout",
    );
    const userKeys =
      typeof values["user-key"] === "string"
        ? values["user-key"]
            .split(",")
            .map((k) => k.trim())
            .filter(Boolean)
        : DEFAULT_USER_KEYS;
    const keys = signingKeys(secrets);
    const file = values.checkpoint as string | undefined;
    const where = { from: redact(from), to: redact(to) };
    const previous = file ? readCheckpoint(file, where.from, where.to) : null;
    if (previous?.done) {
      if (values.json)
        out.json({
          ...where,
          dryRun: !!values["dry-run"],
          done: true,
          resumed: true,
          ...previous.counts,
        });
      else out.info(`already finished (checkpoint ${file}): ${summary(previous.counts)}`);
      return EXIT.OK;
    }

    const source = await openLegacySource(from, 10_000);
    const store = values["dry-run"] ? null : await createStore(to);
    const started = Date.now();
    const startCount = previous?.counts.scanned ?? 0;
    let lastLine = 0;
    try {
      const { counts, cursor } = await importSessions(source, store, {
        format,
        userKeys,
        derive: (label) => hmac(keys.keys[0]!, label),
        idleTimeout,
        absoluteTimeout,
        maxBytes,
        dryRun: !!values["dry-run"],
        batchSize,
        concurrency,
        ...(limit !== undefined ? { limit } : {}),
        ...(previous ? { resume: { cursor: previous.cursor, counts: previous.counts } } : {}),
        onPage: (cursor, c) => {
          if (file) writeCheckpoint(file, { ...where, cursor, done: cursor === null, counts: c });
          const t = Date.now();
          if (out.stream.isTTY) out.stream.write(`\r${summary(c)}`);
          else if (t - lastLine >= 2000 || cursor === null) {
            lastLine = t;
            out.stream.write(`${summary(c)}\n`);
          }
        },
      });
      if (out.stream.isTTY) out.stream.write("\n");
      const seconds = (Date.now() - started) / 1000;
      const rate = Math.round((counts.scanned - startCount) / Math.max(seconds, 0.001));
      const warn = counts.skipped.undecodable + counts.skipped.too_large > 0;
      if (values.json) {
        out.json({
          ...where,
          dryRun: !!values["dry-run"],
          done: cursor === null,
          resumed: previous !== null,
          ...counts,
          seconds,
          rowsPerSecond: rate,
        });
      } else {
        out.info(
          `${values["dry-run"] ? "dry run: " : ""}${summary(counts)} in ${seconds.toFixed(1)} s (${rate.toLocaleString("en")} rows/s)`,
        );
        if (cursor !== null)
          out.info(
            `stopped at --limit; run again with --checkpoint ${file ?? "<file>"} to continue`,
          );
      }
      return warn ? EXIT.WARN : EXIT.OK;
    } finally {
      await source.close();
      await store?.close?.();
    }
  },
};
