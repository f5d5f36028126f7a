import { createSessions, createStore, isCloakroomError } from "cloakroom-sessions";
import { commitSession, errorResponse, loadSession } from "cloakroom-sessions/web";

const sessions = createSessions({
  store: await createStore("sqlite:./data/sessions.db"),
  secrets: process.env.SESSION_SECRET,
});

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      const session = await loadSession(sessions, request, { ip: null });
      session.set("seen", true);
      return await commitSession(sessions, session, Response.json({ ok: true }));
    } catch (err) {
      if (isCloakroomError(err)) return errorResponse(err); // 503 / 413
      throw err;
    }
  },
};
