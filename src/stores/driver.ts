import { MissingDriverError } from "../core/errors.js";

/**
 * Imports an optional peer dependency, or throws a {@link MissingDriverError}
 * that says which package to install. Only "module not found" for that very
 * package becomes MissingDriverError; any other failure is rethrown as is.
 * @example const pg = await importDriver<typeof import("pg")>("pg", "The PostgreSQL store");
 */
export async function importDriver<T>(packageName: string, purpose: string): Promise<T> {
  try {
    return (await import(packageName)) as T;
  } catch (err) {
    const code = (err as { code?: string }).code;
    const message = String((err as Error)?.message ?? "");
    if (
      (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
      message.includes(`'${packageName}'`)
    ) {
      throw new MissingDriverError(packageName, purpose, { cause: err });
    }
    throw err;
  }
}
