import type { SessionManager } from "cloakroom-sessions";
import { auditFile, auditToLogger, createAuth, type UserDirectory } from "cloakroom-sessions/auth";

declare const sessions: SessionManager;
declare const users: UserDirectory;

const audit = auditFile(process.env.AUDIT_LOG ?? "./data/audit.jsonl"); // JSON lines, mode 0600
export const auth = createAuth({ sessions, users, onEvent: [audit, auditToLogger(console)] });
// pino instead: onEvent: (e) => pino.info(e, `audit ${e.type}`)
// at shutdown: await audit.close();
