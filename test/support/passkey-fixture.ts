/**
 * The auth test app of auth-fixture.ts with passkeys: an in-memory passkey
 * directory, a soft authenticator, and request helpers that carry the cookie
 * from one request to the next as a browser does.
 */
import type {
  AuditEvent,
  PasskeyCredential,
  PasskeyDirectory,
  PasskeyOptions,
  PasskeyUse,
} from "../../src/auth/index.js";
import { createPasskeys } from "../../src/auth/index.js";
import type { SessionStore } from "../../src/core/store.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { Clock, server, Users } from "./auth-fixture.js";
import { SoftAuthenticator } from "./soft-authenticator.js";

export const ORIGIN = "https://app.test";
export const RP_ID = "app.test";

export class MemoryPasskeys implements PasskeyDirectory {
  readonly rows = new Map<string, PasskeyCredential>();
  async find(id: string) {
    const c = this.rows.get(id);
    return c ? { ...c } : null;
  }
  async list(userId: string) {
    return [...this.rows.values()].filter((c) => c.userId === userId).map((c) => ({ ...c }));
  }
  async add(c: PasskeyCredential) {
    if (this.rows.has(c.id)) return false;
    this.rows.set(c.id, { ...c });
    return true;
  }
  async recordUse(id: string, use: PasskeyUse) {
    const c = this.rows.get(id);
    if (c) Object.assign(c, use);
  }
  async rename(userId: string, id: string, name: string) {
    const c = this.rows.get(id);
    if (!c || c.userId !== userId) return false;
    c.name = name;
    return true;
  }
  async remove(userId: string, id: string) {
    const c = this.rows.get(id);
    if (!c || c.userId !== userId) return false;
    return this.rows.delete(id);
  }
}

export async function passkeyApp(
  options: Partial<PasskeyOptions> = {},
  store: SessionStore = new MemoryStore({ sweepInterval: 0 }),
) {
  const clock = new Clock();
  const users = new Users();
  const credentials = new MemoryPasskeys();
  const events: AuditEvent[] = [];
  const base = server(store, users, clock, { onEvent: (e) => events.push(e) });
  const passwordless = new Set<string>();
  const passkeys = await createPasskeys(base.auth, {
    credentials,
    rpID: RP_ID,
    rpName: "Test",
    origins: [ORIGIN],
    hasPassword: async (id) => !passwordless.has(id),
    ...options,
  });
  const authenticator = new SoftAuthenticator(ORIGIN);
  return {
    ...base,
    clock,
    users,
    store,
    credentials,
    passkeys,
    authenticator,
    events,
    passwordless,
  };
}

export type PasskeyApp = Awaited<ReturnType<typeof passkeyApp>>;

/** A browser: its cookie jar (one cookie) and a request helper around load → fn → commit. */
export function browser(app: PasskeyApp, cookie: string | null = null) {
  const b = {
    cookie,
    async request<T>(fn: (s: Awaited<ReturnType<PasskeyApp["open"]>>) => Promise<T>): Promise<T> {
      const s = await app.open(b.cookie);
      const out = await fn(s);
      b.cookie = (await app.finish(s, b.cookie)).cookie;
      return out;
    },
  };
  return b;
}

/** Signs `username` in with the password, then registers a passkey; resolves to the browser and credential id. */
export async function userWithPasskey(app: PasskeyApp, username = "ada") {
  const userId = await app.users.add(username, "correct horse battery");
  const b = browser(app);
  await b.request(async (s) => {
    const r = await app.auth.login(s, { username, password: "correct horse battery" });
    if (!r.ok) throw new Error(r.reason);
  });
  const options = await b.request(async (s) => {
    const r = await app.passkeys.registrationOptions(s);
    if (!r.ok) throw new Error(r.reason);
    return r.options as never;
  });
  const response = app.authenticator.create(options);
  const done = await b.request((s) => app.passkeys.verifyRegistration(s, { response }));
  if (!done.ok) throw new Error(`registration failed: ${done.reason}`);
  return { browser: b, userId, credentialId: response.id };
}
