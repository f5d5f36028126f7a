/**
 * A full garbage collection before a heap reading, also when the process
 * was not started with --expose-gc (inside `npm test`): heap figures taken
 * without it measure when the collector last ran, not what is retained.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
export const fullGc = runInNewContext("gc") as () => void;
