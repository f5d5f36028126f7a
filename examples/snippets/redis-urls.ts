import { createStore } from "cloakroom-sessions";

const local = await createStore("redis://127.0.0.1:6379/0");
const tls = await createStore("rediss://user:pass@cache.example:6380");
const cluster = await createStore("redis+cluster://10.0.0.1:7000,10.0.0.2:7000"); // seeds; the rest is discovered
const sentinel = await createStore("redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/mymaster");

export { cluster, local, sentinel, tls };
