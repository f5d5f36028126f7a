// examples/migrating/flask-equivalents.ts — Flask-Session settings, in Cloakroom terms.
import { createSessions, createStore } from "cloakroom-sessions";

export const sessions = createSessions({
  // SESSION_TYPE = "redis" + SESSION_REDIS + SESSION_KEY_PREFIX = "session:"
  store: await createStore("redis://127.0.0.1:6379/0?keyPrefix=session:"),
  // SECRET_KEY (a list rotates: first signs, all verify). SESSION_USE_SIGNER = True is always on.
  secrets: process.env.SESSION_SECRET!.split(","),
  // PERMANENT_SESSION_LIFETIME = timedelta(days=7): the absolute lifetime; idle expiry comes on top.
  absoluteTimeout: "7d",
  idleTimeout: "2h",
  // SESSION_REFRESH_EACH_REQUEST = True: the idle deadline slides; written at most this often.
  touchInterval: "5m",
  // SESSION_COOKIE_NAME, SESSION_COOKIE_SECURE, SESSION_COOKIE_SAMESITE, SESSION_COOKIE_DOMAIN
  cookie: { name: "session", secure: "auto", sameSite: "lax" },
});
