/**
 * `npm start`: the Cloakroom demo. Configuration by environment (CONTRACT §3,
 * docs/demo.md); `DEMO_FRAMEWORK` picks the adapter, the app is the same.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { DemoContext } from "./app/context.js";
import { closeDemo, createDemo } from "./app/create.js";
import { type Framework, loadConfig } from "./config.js";

type Listen = (ctx: DemoContext, port: number) => Promise<Server>;

/** Each wiring is imported only when chosen, so the other frameworks need not be installed. */
const WIRINGS: Record<Framework, () => Promise<Listen>> = {
  express: async () => (await import("./wiring/express.js")).listenExpress,
  fastify: async () => (await import("./wiring/fastify.js")).listenFastify,
  hono: async () => (await import("./wiring/hono.js")).listenHono,
};

async function main(): Promise<void> {
  const config = loadConfig();
  const ctx = await createDemo(config);
  const listen = await WIRINGS[config.framework]();
  const server = await listen(ctx, config.port);
  const { port } = server.address() as AddressInfo;
  // Tests wait for this line, then probe over HTTP.
  console.info(`demo: listening on http://127.0.0.1:${port} (${config.framework})`);
  const stop = () => {
    server.close();
    server.closeAllConnections?.();
    void closeDemo(ctx).then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(`demo: could not start: ${(err as Error)?.message ?? String(err)}`);
  process.exit(1);
});
