// Any (Request) => Response handler: the plain helpers of cloakroom-sessions/web,
// no framework. Served here by node:http; the same handler runs on Deno, Bun or a worker.
import { createServer } from "node:http";
import { createSessions, createStore, isCloakroomError } from "cloakroom-sessions";
import {
  checkCsrf,
  createAuth,
  csrfToken,
  hashPassword,
  type UserDirectory,
} from "cloakroom-sessions/auth";
import { commitSession, errorResponse, loadSession } from "cloakroom-sessions/web";

const alice = {
  id: "1",
  username: "alice",
  roles: ["admin"],
  passwordHash: await hashPassword("correct horse battery staple"),
};
const users: UserDirectory = {
  findByUsername: async (name) => (name === alice.username ? alice : null),
  findById: async (id) => (id === alice.id ? alice : null),
  setPasswordHash: async (_id, hash) => {
    alice.passwordHash = hash;
  },
};

const store = await createStore(process.env.SESSION_STORE ?? "file:./data/sessions");
const sessions = createSessions({ store, secrets: process.env.SESSION_SECRET });
const auth = createAuth({ sessions, users });

async function handle(request: Request): Promise<Response> {
  try {
    const session = await loadSession(sessions, request);
    const route = `${request.method} ${new URL(request.url).pathname}`;
    let response: Response;
    if (!checkCsrf(session, request.method, request.headers.get("x-csrf-token")).ok) {
      response = Response.json({ error: "Invalid CSRF token" }, { status: 403 });
    } else if (route === "GET /csrf") {
      response = Response.json({ token: csrfToken(session) });
    } else if (route === "POST /login") {
      const { username, password } = (await request.json()) as {
        username?: string;
        password?: string;
      };
      const r = await auth.login(session, { username, password });
      response = r.ok
        ? Response.json({ user: r.user.username })
        : Response.json(
            { error: "Wrong username or password" },
            { status: r.reason === "throttled" ? 429 : 401 },
          );
    } else if (route === "PUT /cart") {
      const { item } = (await request.json()) as { item?: string };
      session.update<string[]>("cart", (cart) => [...(cart ?? []), String(item)]);
      response = new Response(null, { status: 204 });
    } else if (route === "GET /") {
      const g = await auth.requireUser(session);
      response = Response.json({
        user: g.ok ? g.user.username : null,
        cart: session.get("cart") ?? [],
      });
    } else {
      response = new Response("Not found", { status: 404 });
    }
    return await commitSession(sessions, session, response);
  } catch (err) {
    if (isCloakroomError(err)) return errorResponse(err); // 503 store down, 413 too large
    throw err;
  }
}

// node:http → Request → Response, in a few lines (or use your runtime's own server).
createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
      headers.append(name, v);
  }
  const body = chunks.length > 0 ? Buffer.concat(chunks) : null;
  const response = await handle(
    new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method ?? "GET",
      headers,
      body,
    }),
  );
  for (const [name, value] of response.headers)
    if (name !== "set-cookie") res.setHeader(name, value);
  res.setHeader("set-cookie", response.headers.getSetCookie());
  res.writeHead(response.status);
  res.end(Buffer.from(await response.arrayBuffer()));
}).listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () =>
  console.log(`listening on ${process.env.PORT ?? 3000}`),
);
