/**
 * The workload app in a process of its own, for the app-kill scenario:
 * `node --import tsx app-child.ts <store-url>` prints `PORT <n>` once it
 * listens. The parent kills it with SIGKILL mid-writes and starts another.
 */
import { createStore } from "../../../src/stores/create-store.js";
import { startApp } from "./app.js";

const url = process.argv[2];
if (!url) throw new Error("usage: app-child.ts <store-url>");
const store = await createStore(url, { onConnectionError: () => undefined });
const app = await startApp(store);
process.stdout.write(`PORT ${app.port}\n`);
