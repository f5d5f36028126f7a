/**
 * The lost-update count: 50 concurrent requests each set a different key of
 * one session, then we read back how many keys survived. A session layer
 * that saves whole records (load, change, write back) keeps only the last
 * few writers; a field-level one keeps all 50.
 */
import { Agent, request } from "node:http";
import { cookieHeader, http } from "./server-proc.js";

export const WRITERS = 50;

function post(agent: Agent, port: number, path: string, cookie: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, method: "POST", path, headers: { cookie }, agent },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`POST ${path}: no answer in 10 s`)));
    req.on("error", reject);
    req.end();
  });
}

/** Keys of the 50 written that the session still holds, or null when the scenario has no session. */
export async function keysKept(port: number, hasSession: boolean): Promise<number | null> {
  if (!hasSession) return null;
  const login = await http(port, "POST", "/login");
  const cookie = cookieHeader(login);
  // One socket per writer, all opened before the first answer: truly concurrent.
  const agent = new Agent({ keepAlive: false, maxSockets: WRITERS });
  try {
    const statuses = await Promise.all(
      Array.from({ length: WRITERS }, (_, i) => post(agent, port, `/set/k${i}`, cookie)),
    );
    const failed = statuses.filter((s) => s !== 200).length;
    if (failed > 0) throw new Error(`${failed} of ${WRITERS} writes failed`);
  } finally {
    agent.destroy();
  }
  const keys = JSON.parse((await http(port, "GET", "/keys", { cookie })).body) as {
    keys: string[];
  };
  return keys.keys.filter((k) => /^k\d+$/.test(k)).length;
}
