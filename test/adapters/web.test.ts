/**
 * The plain fetch helpers of `cloakroom-sessions/web` (`loadSession`/`commitSession`)
 * on a bare fetch handler — no framework — through the adapter conformance
 * suite; and a check that nothing on the `cloakroom-sessions/web` import path needs
 * Node (no `node:` import, no `Buffer`), so it can run on other runtimes.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type AdapterApp, adapterConformance } from "cloakroom-sessions/testing";
import { describe, expect, it } from "vitest";
import {
  commitSession,
  errorResponse,
  loadSession,
  type RequestSession,
} from "../../src/adapters/web/index.js";
import { isCloakroomError } from "../../src/core/errors.js";
import type { SessionManager } from "../../src/core/manager.js";
import { ADAPTER_STORES } from "../support/adapter-stores.js";
import { serveFetch } from "../support/serve.js";

type Route = (s: RequestSession, arg: string, req: Request) => Promise<Response> | Response;

const empty = () => new Response(null, { status: 204 });

const ROUTES: Record<string, Route> = {
  "GET /peek": () => new Response("ok"),
  "GET /get": (s, key) =>
    Response.json({ value: s.get(key) ?? null, isNew: s.isNew, userId: s.userId }),
  "GET /all": (s) => Response.json({ data: s.toJSON(), userId: s.userId }),
  "PUT /set": async (s, key, req) => {
    s.set(key, ((await req.json()) as { value: never }).value);
    return empty();
  },
  "DELETE /del": (s, key) => {
    s.delete(key);
    return empty();
  },
  "POST /regenerate": (s) => {
    s.regenerate();
    return empty();
  },
  "POST /login": (s, user) => {
    s.setUser(user);
    return empty();
  },
  "POST /logout": (s) => {
    s.destroy();
    return empty();
  },
  "POST /mutate": (s, key) => {
    try {
      (s.get(key) as number[]).push(4);
      return Response.json({ refused: false });
    } catch {
      return Response.json({ refused: true });
    }
  },
  "POST /reload": async (s, key) => {
    s.set(key, "unsaved");
    await s.reload();
    return Response.json({ value: s.get(key) ?? null });
  },
  "GET /stream": async (s) => {
    s.set("streamed", true);
    await s.save();
    const body = new ReadableStream({
      start(c) {
        for (const part of ["a", "b", "c"]) c.enqueue(new TextEncoder().encode(part));
        c.close();
      },
    });
    return new Response(body);
  },
  "POST /app-cookie": (s) => {
    s.set("x", 1);
    const headers = new Headers({ vary: "Accept-Encoding" });
    headers.append("set-cookie", "theme=dark; Path=/");
    return Response.json({ ok: true }, { headers });
  },
};

function handler(manager: SessionManager) {
  return async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url);
    const [, name = "", arg = ""] = pathname.split("/");
    const route = ROUTES[`${request.method} /${name}`];
    try {
      const session = await loadSession(manager, request);
      if (name === "devices") {
        const list = await manager.listUserSessions(session.userId!, session);
        const res = Response.json({ count: list.length, current: list[0]?.current ?? false });
        return commitSession(manager, session, res);
      }
      if (!route) return new Response("not found", { status: 404 });
      return await commitSession(manager, session, await route(session, arg, request));
    } catch (err) {
      if (isCloakroomError(err)) return errorResponse(err);
      throw err;
    }
  };
}

function startApp({ manager }: { manager: SessionManager }): Promise<AdapterApp> {
  return serveFetch(handler(manager));
}

await adapterConformance("web (fetch helpers)", startApp, ADAPTER_STORES);

describe("cloakroom-sessions/web is runtime-neutral", () => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

  /** Every source file reachable from `entry` through relative imports. */
  function graph(entry: string, seen = new Set<string>()): Set<string> {
    if (seen.has(entry)) return seen;
    seen.add(entry);
    const text = readFileSync(entry, "utf8");
    for (const m of text.matchAll(/^\s*(?:import|export)[^;]*?from\s+"(\.[^"]+)"/gms)) {
      graph(resolve(dirname(entry), m[1]!.replace(/\.js$/, ".ts")), seen);
    }
    return seen;
  }

  it("imports no node: module and touches no Buffer outside the guarded crypto shim", () => {
    const files = [...graph(resolve(root, "src/adapters/web/index.ts"))];
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      const runtimeNode = /^\s*import\s+(?!type\b)[^;]*from\s+"node:/m.test(code);
      expect(runtimeNode, `${file} imports a node: module at run time`).toBe(false);
      // core/crypto.ts reaches node:crypto and Buffer only through globalThis, when present.
      if (!file.endsWith("core/crypto.ts")) {
        expect(/\bBuffer\b/.test(code), `${file} uses Buffer`).toBe(false);
      }
    }
  });

  it("references no framework, not even as types: a fetch-only app needs no hono", () => {
    const files = [...graph(resolve(root, "src/adapters/web/index.ts"))];
    for (const file of files) {
      const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      expect(/from\s+"(hono|express|fastify)["/]/.test(code), `${file} imports a framework`).toBe(
        false,
      );
    }
  });
});
