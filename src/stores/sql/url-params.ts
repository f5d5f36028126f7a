/**
 * Store URLs carry a few Cloakroom parameters next to the driver's own
 * (`?table=web_sessions&migrate=1&sslmode=require`). They are taken out before
 * the URL reaches the driver, which would reject or ignore unknown ones.
 */
import { BadStoreUrlError } from "../../core/errors.js";
import { redact } from "../create-store.js";

export interface StoreParams {
  /** The URL without Cloakroom's parameters. */
  url: string;
  table?: string;
  migrate?: boolean;
}

export function splitStoreParams(url: string): StoreParams {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new BadStoreUrlError(`malformed store URL ${JSON.stringify(redact(url))}`, {
      cause: err,
    });
  }
  const out: StoreParams = { url };
  const table = parsed.searchParams.get("table");
  const migrate = parsed.searchParams.get("migrate");
  if (table === null && migrate === null) return out;
  if (table !== null) out.table = table;
  if (migrate !== null) out.migrate = migrate !== "0" && migrate !== "false";
  parsed.searchParams.delete("table");
  parsed.searchParams.delete("migrate");
  out.url = parsed.toString();
  return out;
}
