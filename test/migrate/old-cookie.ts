/** Old sessions written straight into the old store's layout, and the cookies that point at them. */
import { randomBytes } from "node:crypto";
import { sign } from "cookie-signature";
import { OLD_SECRET } from "./apps.js";

export function newSid(): string {
  return randomBytes(24).toString("base64url");
}

/** express-session's cookie: `connect.sid=s:<sid>.<sig>`, URL-encoded as express-session sends it. */
export function expressCookie(sid: string, secret = OLD_SECRET): string {
  return `connect.sid=${encodeURIComponent(`s:${sign(sid, secret)}`)}`;
}

/** An express-session record with its cookie object, as connect-redis stores it. */
export function expressRecord(data: Record<string, unknown>, expiresInMs = 3_600_000): string {
  return JSON.stringify({
    cookie: {
      originalMaxAge: expiresInMs,
      expires: new Date(Date.now() + expiresInMs).toISOString(),
      httpOnly: true,
      path: "/",
    },
    ...data,
  });
}
