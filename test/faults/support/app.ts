/**
 * The app the fault workload drives: Express + `cloakroom-sessions/express`
 * on a real store, five routes. No vitest import: the app-kill scenario runs
 * it in a child process (app-child.ts).
 *
 * | route | does |
 * |---|---|
 * | `GET /me` | `200 {user, data}` |
 * | `POST /login?user=` | `setUser(user)` (a new token); `200` |
 * | `POST /write?k=&v=` | sets `k.a` and `k.b` to `v` in one commit; `200`, or `409` when the session was gone |
 * | `POST /logout` | `destroy()`; `200` |
 * | `POST /driveby?user=` | signs in with a 3 s absolute timeout, never used again (soak) |
 * | `POST /revoke` | `revokeUserSessions(user, {except: this session})`; `200 {count}` |
 *
 * Every route saves before it answers, so a `200` means the store took the
 * write: that is what the workload counts as acknowledged. Errors answer
 * with their `status` (503 for StoreUnavailableError) and `{code}`.
 */
import type { Server } from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";
import { session } from "../../../src/adapters/express/index.js";
import { createSessions, type SessionManager } from "../../../src/core/manager.js";
import type { SessionOptions } from "../../../src/core/options.js";
import type { SessionStore } from "../../../src/core/store.js";

export const FAULT_SECRET = "fault-workload-secret-0123456789abcdef-0123456789";

export interface RunningApp {
  readonly url: string;
  readonly port: number;
  readonly manager: SessionManager;
  close(): Promise<void>;
}

export function buildApp(manager: SessionManager): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(session(manager));
  app.get("/me", (req, res) => {
    res.json({ user: req.session.userId, data: req.session.toJSON() });
  });
  app.post("/login", async (req, res, next) => {
    try {
      req.session.setUser(String(req.query.user));
      await req.session.save();
      res.json({ ok: true });
    } catch (err) {
      next(err);
    }
  });
  app.post("/write", async (req, res, next) => {
    try {
      if (req.session.userId === null) {
        res.status(409).json({ lost: true });
        return;
      }
      const k = String(req.query.k);
      const v = String(req.query.v);
      // Two fields in one commit: a reader must see both or neither.
      req.session.set(`${k}.a`, v).set(`${k}.b`, v);
      await req.session.save();
      // The patch found no session (revoked, wiped): nothing was written.
      if (req.session.isNew) res.status(409).json({ lost: true });
      else res.json({ ok: true });
    } catch (err) {
      next(err);
    }
  });
  // A visitor who signs in once and never comes back: a short-lived session left to expire.
  app.post("/driveby", async (req, res, next) => {
    try {
      req.session.setUser(String(req.query.user), { absoluteTimeout: 3000 });
      await req.session.save();
      res.json({ ok: true });
    } catch (err) {
      next(err);
    }
  });
  app.post("/logout", async (req, res, next) => {
    try {
      req.session.destroy();
      await req.session.save();
      res.json({ ok: true });
    } catch (err) {
      next(err);
    }
  });
  app.post("/revoke", async (req, res, next) => {
    try {
      const user = req.session.userId;
      if (user === null) {
        res.status(409).json({ lost: true });
        return;
      }
      const count = await req.sessions.revokeUserSessions(user, { except: req.session });
      res.json({ count });
    } catch (err) {
      next(err);
    }
  });
  app.use(
    (err: { status?: number; code?: string }, _req: Request, res: Response, _n: NextFunction) => {
      if (res.headersSent) return;
      res.status(err.status ?? 500).json({ code: err.code ?? "ERROR" });
    },
  );
  return app;
}

/** Serves the workload app on 127.0.0.1 (port 0: a free one unless given). */
export async function startApp(
  store: SessionStore,
  options: { port?: number; manager?: SessionManager; sessions?: Partial<SessionOptions> } = {},
): Promise<RunningApp> {
  const manager =
    options.manager ??
    createSessions({
      store,
      secrets: [FAULT_SECRET],
      // Reads never write: the workload's writes are the only ones.
      touchInterval: "10m",
      logger: { debug: () => undefined, warn: () => undefined, error: () => undefined },
      ...options.sessions,
    });
  const app = buildApp(manager);
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? 0, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
  server.keepAliveTimeout = 30_000;
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    manager,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
