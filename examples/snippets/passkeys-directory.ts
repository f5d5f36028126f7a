import type { PasskeyCredential, PasskeyDirectory } from "cloakroom-sessions/auth";

// Your passkeys table, six methods (the demo has SQLite and PostgreSQL ones:
// examples/demo/users/passkeys.ts); here a Map.
const rows = new Map<string, PasskeyCredential>();
export const credentials: PasskeyDirectory = {
  find: async (id) => rows.get(id) ?? null,
  list: async (userId) => [...rows.values()].filter((c) => c.userId === userId),
  add: async (c) => !rows.has(c.id) && Boolean(rows.set(c.id, c)),
  recordUse: async (id, use) => {
    const c = rows.get(id);
    if (c) Object.assign(c, use);
  },
  rename: async (userId, id, name) => {
    const c = rows.get(id);
    return c?.userId === userId && Boolean(Object.assign(c, { name }));
  },
  remove: async (userId, id) => rows.get(id)?.userId === userId && rows.delete(id),
};
