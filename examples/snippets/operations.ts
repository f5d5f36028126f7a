import { createSessions, createStore } from "cloakroom-sessions";
import { auditFile, createAuth, type UserDirectory } from "cloakroom-sessions/auth";
import { createMetrics, traceStore } from "cloakroom-sessions/metrics"; // prom-client, @opentelemetry/api: optional peers
import express from "express";

declare const users: UserDirectory; // your user table
const url = process.env.SESSION_STORE ?? "sqlite:./data/sessions.db";

const metrics = await createMetrics(); // or { registry, prefix }
const store = traceStore(metrics.store(await createStore(url)), { url });
const sessions = createSessions({ store, secrets: process.env.SESSION_SECRET!.split(",") });
metrics.observe(sessions); // lifecycle counters, refused cookies, load/commit timing
export const auth = createAuth({
  sessions,
  users,
  onEvent: [auditFile("./data/audit.jsonl"), metrics.auditSink], // login.failed, session.revoked, …
});

const app = express();
app.get("/metrics", async (_req, res) => {
  res.type(metrics.contentType).send(await metrics.text());
});
