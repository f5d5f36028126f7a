/** Serves a fetch handler on 127.0.0.1, port 0, through @hono/node-server (a real HTTP server). */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { AdapterApp } from "cloakroom-sessions/testing";

export async function serveFetch(fetch: (req: Request) => Response | Promise<Response>) {
  const server = serve({ fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  } satisfies AdapterApp;
}
