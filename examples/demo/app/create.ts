/**
 * Builds the demo from its configuration: the session store (migrated), the
 * user table (migrated, admin seeded), the session manager and the auth
 * flows. Framework-neutral; a wiring mounts the result.
 */
import { demoAuth } from "../auth.js";
import type { DemoConfig } from "../config.js";
import { createMetrics, createSessions, createStore, redact } from "../lib.js";
import { normalizeUsername } from "../users/directory.js";
import { openUserDirectory } from "../users/open.js";
import { Activity } from "./activity.js";
import { openAudit } from "./audit.js";
import type { DemoContext } from "./context.js";

export async function createDemo(config: DemoConfig): Promise<DemoContext> {
  // Metrics and the activity page time every store call and count lifecycle events.
  const metrics = await createMetrics();
  const activity = new Activity();
  const store = activity.time(metrics.store(await createStore(config.sessionStore)));
  await store.migrate?.();
  const users = await openUserDirectory(config.userDb);
  await users.migrate();
  const sessions = createSessions({
    store,
    secrets: config.secrets,
    idleTimeout: config.idleTimeout,
    absoluteTimeout: config.absoluteTimeout,
    cookie: { secure: config.cookieSecure },
  });
  metrics.observe(sessions);
  activity.observe(sessions);
  const audit = openAudit(config.auditLog);
  const auth = await demoAuth(sessions, users, {
    sudoMaxAge: config.sudoMaxAge,
    audit: [audit.sink, metrics.auditSink],
    passkeys: config.passkeys,
    registrationsPerHour: config.registrationsPerHour,
  });
  if (config.admin) await seedAdmin(config.admin, users, auth.hashPassword);
  console.info(
    `demo: sessions in ${redact(config.sessionStore)} (${store.kind}), users in ${redact(config.userDb)}`,
  );
  return { config, users, sessions, auth, audit, metrics, activity };
}

/** Creates the admin, or gives an existing user of that name the admin role; the password is not changed then. */
async function seedAdmin(
  admin: { username: string; password: string },
  users: DemoContext["users"],
  hash: (password: string) => Promise<string>,
): Promise<void> {
  const username = normalizeUsername(admin.username);
  if (username === null)
    throw new Error(`DEMO_ADMIN_USER: "${admin.username}" is not a valid username`);
  const existing = await users.findByUsername(username);
  if (existing) {
    if (!existing.roles.includes("admin"))
      await users.setRoles(username, [...existing.roles, "admin"].sort());
    return;
  }
  await users.create({
    username,
    passwordHash: await hash(admin.password),
    roles: ["admin", "member"],
  });
}

/** Closes what {@link createDemo} opened. */
export async function closeDemo(ctx: DemoContext): Promise<void> {
  await Promise.allSettled([
    ctx.sessions.store.close?.(),
    ctx.users.close(),
    ctx.audit.sink.close(),
  ]);
}
