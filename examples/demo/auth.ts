/**
 * The demo's auth flows, every one of them `cloakroom-sessions/auth`: argon2id
 * hashing, login with throttling and equal-time failures, logout in all its
 * forms, fresh roles on each request, sudo mode, password changes, CSRF
 * tokens and device names. This
 * file only adapts names to the demo's {@link DemoAuth}.
 */
import type { DemoAuth } from "./app/context.js";
import {
  type AuditSink,
  type Auth,
  createAuth,
  createLoginThrottle,
  createPasskeys,
  csrfToken,
  type SessionManager,
} from "./lib.js";
import { normalizeUsername, type User, type UserDirectory } from "./users/directory.js";

export async function demoAuth(
  sessions: SessionManager,
  users: UserDirectory,
  options: {
    sudoMaxAge: number;
    audit: readonly AuditSink[];
    passkeys: { rpID: string; rpName: string; origins: string[] } | null;
    registrationsPerHour: number;
  },
): Promise<DemoAuth> {
  // The throttle's account counters key names as the directory does (trim, case), so
  // " victim" or "victim\u2003" cannot get fresh attempts (issue 10 finding 5).
  const canonicalUsername = (name: string) =>
    normalizeUsername(name) ?? name.normalize("NFKC").trim().toLowerCase();
  const auth: Auth<User> = createAuth<User>({
    sessions,
    users,
    sudoMaxAge: options.sudoMaxAge,
    throttle: createLoginThrottle({
      store: sessions.store,
      now: () => sessions.options.now(),
      canonicalUsername,
      registrationsPerAddress: options.registrationsPerHour,
    }),
    onEvent: [
      // The whole trail to AUDIT_LOG (ASVS 5.0 V16.3); never a password or token.
      ...options.audit,
      (e) => {
        if (e.type === "login.failed" || e.type === "login.throttled")
          console.info(`demo: ${e.type} for ${JSON.stringify(e.username)}`);
      },
    ],
  });
  const passkeys = options.passkeys
    ? await createPasskeys(auth, {
        ...options.passkeys,
        credentials: users.passkeys,
        // A passkey-only account has an empty hash: its last passkey stays.
        hasPassword: async (id) => ((await users.findById(id))?.passwordHash ?? "") !== "",
      })
    : null;
  return {
    passkeys,
    passkeyConfirmed: async (session) =>
      (await auth.requireRecentAuth(session, { method: "passkey" })).ok,
    hashPassword: (password) => auth.hasher.hash(password),
    reserveRegistration: (ip) => auth.reserveRegistration(ip),
    passwordPolicy: { minLength: auth.hasher.minLength, maxLength: auth.hasher.maxLength },
    login: (session, username, password, { ip, remember }) =>
      auth.login(session, { username, password, ip, remember }),
    currentUser: (session) => auth.currentUser(session),
    hasRole: async (session, role) => (await auth.requireRole(session, role)).ok,
    recentlyAuthenticated: async (session) => (await auth.requireRecentAuth(session)).ok,
    reauthenticate: (session, password) => auth.reauthenticate(session, password),
    changePassword: (session, current, next) => auth.changePassword(session, { current, next }),
    logout: (session) => auth.logout(session),
    logoutAll: (session) => auth.logoutEverywhere(session),
    revokeOthers: (session) => auth.revokeOthers(session),
    revokeOne: (session, id) => auth.revokeSession(session, id),
    revokeUser: (userId, by) => auth.revokeUser(userId, { by }),
    rolesChanged: (by, userId, roles) =>
      auth.audit(by, { type: "role.changed", userId, actor: by.userId ?? undefined, roles }),
    devices: (session) => auth.devices(session),
    csrfToken: (session) => csrfToken(session),
    csrfValid: (session, token, where) =>
      auth.checkCsrf(session, where.method, token, { path: where.path }).ok,
  };
}
