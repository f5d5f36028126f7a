/**
 * @internal Named points between the steps of a store operation that cannot
 * be one atomic command (Redis Cluster keys in different slots, Memcached's
 * two keys), where tests pause one operation and run another, to force the
 * interleavings a revocation must survive (issue 10). Without a hook set the
 * cost is one property read.
 */
type Hook = (point: string) => Promise<void> | void;

let hook: Hook | undefined;

/** @internal Test-only: pauses at named points. Pass undefined to remove. */
export function setInterleaveHook(h: Hook | undefined): void {
  hook = h;
}

/** @internal Resolves at once unless a test hook is set. */
export function interleave(point: string): Promise<void> | void {
  return hook?.(point);
}
