/**
 * The demo's audit trail: every event `cloakroom-sessions/auth` emits is
 * appended to `AUDIT_LOG` (JSON lines, CONTRACT §3), and the account page
 * reads the user's own recent events back from the end of that file, so
 * they survive a restart and the page shows exactly what the log holds.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";
import { type AuditEvent, auditFile, type ClosableAuditSink, describeDevice } from "../lib.js";

/** How much of the file's end the account page reads: about 1,000 events. */
const TAIL_BYTES = 256 * 1024;

export interface DemoAudit {
  sink: ClosableAuditSink;
  /** The user's newest events first, at most `limit`. */
  recent(userId: string, limit: number): AuditEvent[];
}

export function openAudit(path: string): DemoAudit {
  const sink = auditFile(path);
  return {
    sink,
    recent(userId, limit) {
      const out: AuditEvent[] = [];
      for (const line of tail(path).reverse()) {
        if (out.length >= limit) break;
        let e: AuditEvent;
        try {
          e = JSON.parse(line) as AuditEvent;
        } catch {
          continue; // the first line of the tail is usually cut
        }
        if (e.userId === userId && SHOWN.has(e.type)) out.push(e);
      }
      return out;
    },
  };
}

function tail(path: string): string[] {
  if (!existsSync(path)) return [];
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    return buf.toString("utf8").split("\n").filter(Boolean);
  } finally {
    closeSync(fd);
  }
}

/** What the account page tells its owner, in words. */
const WORDS: Partial<Record<AuditEvent["type"], (e: AuditEvent) => string>> = {
  "login.succeeded": () => "Signed in",
  "login.failed": () => "Failed sign-in attempt (wrong password)",
  "login.throttled": () => "Sign-in attempts paused after repeated failures",
  logout: () => "Signed out",
  "logout.everywhere": () => "Signed out everywhere",
  "session.revoked": (e) =>
    e.by === "admin"
      ? "Every session ended by an administrator"
      : e.by === "password-change"
        ? `${plural(e.count ?? 0, "other session")} ended by the password change`
        : e.by === "cap"
          ? `${plural(e.count ?? 0, "old session")} ended: too many sessions`
          : e.scope === "one"
            ? "Ended a session"
            : `Ended ${plural(e.count ?? 0, "other session")}`,
  "sudo.confirmed": () => "Confirmed your password",
  "sudo.failed": () => "Wrong password when confirming",
  "password.changed": () => "Changed your password",
  "password.change_failed": () => "Password change refused",
  "role.changed": (e) => `Roles changed to ${(e.roles ?? []).join(", ") || "none"}`,
  "passkey.registered": () => "Added a passkey",
  "passkey.removed": () => "Removed a passkey",
};
const SHOWN = new Set(Object.keys(WORDS));

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

export interface AuditLine {
  what: string;
  device: string;
  ip: string | null;
  time: number;
}

/** "Signed in", "Firefox on Linux", the IP and the time: one line of the account page. */
export async function describeEvents(events: AuditEvent[]): Promise<AuditLine[]> {
  return Promise.all(
    events.map(async (e) => ({
      what: WORDS[e.type]?.(e) ?? e.type,
      device: await describeDevice(e.userAgent),
      ip: e.ip,
      time: Date.parse(e.time),
    })),
  );
}
