import { BadStoreUrlError } from "../../core/errors.js";
import type { SessionStore } from "../../core/store.js";
import type { StoreUrlOptions } from "../create-store.js";

// Placeholder until the mysql store lands: a clear error, never a silent fallback.
export async function fromUrl(url: string, _options: StoreUrlOptions): Promise<SessionStore> {
  throw new BadStoreUrlError(
    `the mysql store is not available in this version of cloakroom (${url.split(":")[0]}:)`,
  );
}
