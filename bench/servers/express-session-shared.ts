/**
 * The routes every express-session scenario serves, written once so the two
 * stores (connect-redis, connect-pg-simple) run byte-for-byte the same app.
 * Configured as the express-session README recommends for a login session:
 * `resave: false`, `saveUninitialized: false`, a 30-minute cookie `maxAge`
 * (the same idle lifetime Cloakroom uses), so reads cost what they cost users.
 */
import express, { type Express, type Request } from "express";
import session, {
  type Session as ExpressSession,
  type SessionData,
  type Store,
} from "express-session";
import { env, IDLE_MS, USER_ID } from "./common.js";

type Data = Partial<SessionData> & { userId?: string; counter?: number; [key: string]: unknown };

/**
 * express-session's `req.session`. Typed by hand because cloakroom-sessions/express
 * augments `Request.session` with its own type in the same TypeScript
 * program, and the two augmentations cannot both win.
 */
const sess = (req: Request) => req.session as unknown as ExpressSession & Data;

/** Session fields that are express-session's own, not data the app stored. */
const OWN = new Set(["cookie"]);

export function expressSessionApp(store: Store): Express {
  const app = express();
  app.use(
    session({
      store,
      secret: env.secret,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: "lax", secure: false, maxAge: IDLE_MS },
    }),
  );
  app.post("/login", (req, res) => {
    sess(req).userId = USER_ID;
    sess(req).counter = 0;
    res.json({ user: USER_ID });
  });
  app.get("/read", (req, res) => {
    res.json({ user: sess(req).userId ?? null });
  });
  app.post("/write", (req, res) => {
    const s = sess(req);
    s.counter = (s.counter ?? 0) + 1;
    res.json({ counter: s.counter });
  });
  app.post("/set/:k", (req, res) => {
    sess(req)[req.params.k] = 1;
    res.json({ ok: true });
  });
  app.get("/keys", (req, res) => {
    res.json({ keys: Object.keys(sess(req)).filter((k) => !OWN.has(k)) });
  });
  return app;
}
