import { createStore } from "cloakroom-sessions";

const files = await createStore("file:./data/sessions");
const mc = await createStore("memcached://127.0.0.1:11211?prefix=myapp:");
const tiered = await createStore(
  `tiered:?durable=${encodeURIComponent("postgres://app@db/app")}` +
    `&cache=${encodeURIComponent("redis://cache:6379/0")}`,
);

export { files, mc, tiered };
