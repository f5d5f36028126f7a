import { createPostgresStore } from "cloakroom-sessions/stores/postgres";

const store = await createPostgresStore({ url: process.env.DATABASE_URL });

console.log(await store.migrate());
// [{ version: 1, name: "create sessions table", status: "applied" }]
// and on the next call: status "already-applied"
