import { MissingDriverError } from "../lib.js";

/** Imports the user table's driver (an optional dependency of the demo), naming it when missing. */
export async function importUserDbDriver<T>(name: string, purpose: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" && String((err as Error).message).includes(`'${name}'`)) {
      throw new MissingDriverError(name, purpose, { cause: err });
    }
    throw err;
  }
}
