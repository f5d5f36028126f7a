/**
 * The demo's auth flows, every one of them `cloakroom-sessions/auth`: argon2id
 * hashing, login with throttling and equal-time failures, logout in all its
 * forms, fresh roles on each request, sudo mode, password changes, CSRF
 * tokens and device names. This
 * file only adapts names to the demo's {@link DemoAuth}.
 */
import type { DemoAuth } from "./app/context.js";
import { type Auth, createAuth, csrfToken, type SessionManager, verifyCsrf } from "./lib.js";
import type { User, UserDirectory } from "./users/directory.js";

export function demoAuth(
  sessions: SessionManager,
  users: UserDirectory,
  options: { sudoMaxAge: number },
): DemoAuth {
  const auth: Auth<User> = createAuth<User>({
    sessions,
    users,
    sudoMaxAge: options.sudoMaxAge,
    onEvent: (e) => {
      // An audit line per login attempt and refusal (ASVS 5.0 V16.3); never a password or token.
      if (e.type === "login" && e.result !== "ok")
        console.info(`demo: login ${e.result} for ${JSON.stringify(e.username)}`);
    },
  });
  return {
    hashPassword: (password) => auth.hasher.hash(password),
    passwordPolicy: { minLength: auth.hasher.minLength, maxLength: auth.hasher.maxLength },
    login: (session, username, password, { ip, remember }) =>
      auth.login(session, { username, password, ip, remember }),
    currentUser: (session) => auth.currentUser(session),
    recentlyAuthenticated: async (session) => (await auth.requireRecentAuth(session)).ok,
    reauthenticate: (session, password) => auth.reauthenticate(session, password),
    changePassword: (session, current, next) => auth.changePassword(session, { current, next }),
    logout: (session) => auth.logout(session),
    logoutAll: (session) => auth.logoutEverywhere(session),
    revokeOthers: (session) => auth.revokeOthers(session),
    revokeOne: (session, id) => auth.revokeSession(session, id),
    revokeUser: (userId) => sessions.revokeUserSessions(userId),
    devices: (session) => auth.devices(session),
    csrfToken: (session) => csrfToken(session),
    csrfValid: (session, token) => verifyCsrf(session, token),
  };
}
