/**
 * Real HTTP servers on 127.0.0.1, port 0, for the tests: a Node server that
 * was just told to listen (Express's `app.listen(0, "127.0.0.1")`), or a
 * fetch handler served through @hono/node-server. `close()` drops open
 * keep-alive connections, so a suite never waits for them.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { AdapterApp } from "cloakroom-sessions/testing";

/** Resolves once `server` listens, with its URL and a `close()` that ends its connections. */
export async function listening(
  server: Pick<Server, "once" | "address" | "close"> & { closeAllConnections?: () => void },
): Promise<AdapterApp> {
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** Serves a fetch handler (Hono's `app.fetch`, a bare one). */
export function serveFetch(fetch: (req: Request) => Response | Promise<Response>) {
  return listening(serve({ fetch, port: 0, hostname: "127.0.0.1" }) as Server);
}
