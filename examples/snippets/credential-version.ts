import type { User, UserDirectory } from "cloakroom-sessions/auth";

// Your users table with a credential version (here a Map). A password change
// bumps it in the same write as the hash; a rehash (same password, new
// parameters) keeps it. Every session remembers the version it was signed in
// under, and one whose version is no longer the user's is not signed in: on
// every server, at its next request, with no extra query (findById runs on
// every guarded request anyway).
interface Row extends User {
  passwordHash: string;
  credentialVersion: number;
}
const rows = new Map<string, Row>();
const byName = (name: string) => [...rows.values()].find((r) => r.username === name);

export const users: UserDirectory = {
  findByUsername: async (name) => {
    const r = byName(name);
    return r
      ? { id: r.id, passwordHash: r.passwordHash, credentialVersion: r.credentialVersion }
      : null;
  },
  findById: async (id) => {
    const r = rows.get(id);
    return r
      ? { id: r.id, username: r.username, roles: r.roles, credentialVersion: r.credentialVersion }
      : null;
  },
  // A rehash passes the hash it verified: write only over that one, so a
  // password changed meanwhile is never set back (in SQL: AND password_hash = ?).
  setPasswordHash: async (id, passwordHash, reason, replacing) => {
    const r = rows.get(id);
    if (!r || (replacing !== undefined && r.passwordHash !== replacing)) return;
    r.passwordHash = passwordHash;
    if (reason === "change") r.credentialVersion++;
  },
};

// A password reset outside createAuth (an admin tool, another service) only
// has to bump the version: the user's sessions everywhere end at their next request.
export function resetPassword(id: string, passwordHash: string): void {
  const r = rows.get(id);
  if (r) Object.assign(r, { passwordHash, credentialVersion: r.credentialVersion + 1 });
}
