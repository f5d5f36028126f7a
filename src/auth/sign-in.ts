/**
 * The one way this library signs a user into a session, whatever proved the
 * user (password, passkey): a new token (the old one dead at commit: session
 * fixation), data dropped but for `keepOnLogin`, a fresh CSRF secret, how
 * and when the user authenticated, the per-user session cap.
 */
import { interleave } from "../core/interleave.js";
import type { ReadonlyJsonValue } from "../core/json.js";
import type { Session } from "../core/session.js";
import { type AuthMethod, recordProof } from "./amr.js";
import { type AuthContext, META, rolesFingerprint, versionString } from "./context.js";
import { resetCsrf } from "./csrf.js";
import type { User } from "./types.js";

/**
 * @internal Signs `user` into `session` and commits it. Resolves to false,
 * with the session destroyed, when `stillValid` says after the commit that
 * the credential it was proved with changed meanwhile.
 */
export async function establishSession<U extends User>(
  ctx: AuthContext<U>,
  session: Session,
  user: U,
  options: {
    remember: boolean;
    methods: readonly AuthMethod[];
    /** For the audit event: the name as typed (password) or the account's (passkey). */
    username: string;
    ip: string | null;
    /**
     * The user's credential version when the proof was checked (read before
     * it, so a change during the check leaves the session stale).
     */
    credentialVersion: string | number | undefined;
    /**
     * Asked after the commit: is the credential still the one proved? A
     * change that landed before the commit ended no session of ours, so we
     * end it; one after the commit finds it stored and revokes it.
     */
    stillValid?: () => Promise<boolean>;
  },
): Promise<boolean> {
  const kept: [string, ReadonlyJsonValue][] = [];
  for (const k of ctx.keepOnLogin) {
    const v = session.get(k);
    if (v !== undefined) kept.push([k, v]);
  }
  session.setUser(user.id, {
    keepData: false,
    persistent: options.remember,
    absoluteTimeout: options.remember ? ctx.rememberTimeout : undefined,
  });
  for (const [k, v] of kept) session.set(k, v);
  resetCsrf(session);
  recordProof(session, options.methods, ctx.now(), true);
  session.setMeta(META.roles, rolesFingerprint(user.roles));
  session.setMeta(META.credentialVersion, versionString(options.credentialVersion));
  await interleave("auth.sign-in.commit");
  await ctx.sessions.commit(session);
  let valid = true;
  try {
    if (options.stillValid) valid = await options.stillValid();
  } catch (err) {
    valid = false;
    throw err; // the directory failed: nothing certain, so nobody is signed in
  } finally {
    if (!valid) {
      session.destroy();
      await ctx.sessions.commit(session);
    }
  }
  if (!valid) return false;
  // After the commit, so the event names the new session, not the pre-login one.
  ctx.audit.emit(session, {
    type: "login.succeeded",
    username: options.username,
    userId: user.id,
    ip: options.ip,
    method: options.methods.includes("passkey") ? "passkey" : "password",
  });
  await enforceCap(ctx, session, user.id);
  return true;
}

/**
 * Ends the least recently active of the user's other sessions past the cap.
 * Runs after the new session is stored: checked before, logins racing each
 * other would each see the same count and all get in.
 */
async function enforceCap<U extends User>(
  ctx: AuthContext<U>,
  session: Session,
  userId: string,
): Promise<void> {
  if (!Number.isFinite(ctx.maxSessionsPerUser)) return;
  const others = (await ctx.sessions.listUserSessions(userId, session)).filter((d) => !d.current);
  const excess = others.length - (ctx.maxSessionsPerUser - 1);
  if (excess <= 0) return;
  // listUserSessions sorts by most recent activity first: the tail goes.
  let count = 0;
  for (const d of others.slice(-excess))
    if (await ctx.sessions.revokeSession(userId, d.id, { reason: "cap" })) count++;
  if (count > 0) ctx.audit.emit(session, { type: "session.revoked", by: "cap", count });
}
