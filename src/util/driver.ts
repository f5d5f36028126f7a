import { createRequire } from "node:module";
import { MissingDriverError } from "../core/errors.js";

/**
 * Imports an optional peer dependency, or throws a {@link MissingDriverError}
 * that says which package to install. Only "module not found" for that very
 * package becomes MissingDriverError; any other failure is rethrown as is.
 * @internal
 * @example const pg = await importDriver<typeof import("pg")>("pg", "The PostgreSQL store");
 */
export async function importDriver<T>(packageName: string, purpose: string): Promise<T> {
  try {
    return (await import(packageName)) as T;
  } catch (err) {
    throw asMissingDriver(err, packageName, purpose);
  }
}

/**
 * Loads a CommonJS peer dependency synchronously, for module bodies that must
 * not use top-level `await`: a module with one cannot be `require()`d
 * (ERR_REQUIRE_ASYNC_MODULE), which would lock CommonJS apps out of it.
 * @internal
 */
export function requireDriver<T>(packageName: string, purpose: string): T {
  try {
    return createRequire(import.meta.url)(packageName) as T;
  } catch (err) {
    throw asMissingDriver(err, packageName, purpose);
  }
}

/** Only "module not found" for that very package becomes MissingDriverError. */
function asMissingDriver(err: unknown, packageName: string, purpose: string): unknown {
  const code = (err as { code?: string }).code;
  const message = String((err as Error)?.message ?? "");
  if (
    (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
    message.includes(`'${packageName}'`)
  ) {
    return new MissingDriverError(packageName, purpose, { cause: err });
  }
  return err;
}
