import type { SessionStore } from "cloakroom-sessions";

export type MyStore = SessionStore;
