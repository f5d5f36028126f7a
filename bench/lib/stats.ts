/** Small statistics for rounds: the median is reported, min and max beside it. */

export function median(xs: readonly number[]): number {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

export const min = (xs: readonly number[]): number => Math.min(...xs.filter(Number.isFinite));
export const max = (xs: readonly number[]): number => Math.max(...xs.filter(Number.isFinite));

/** Rounds for output: 3 significant decimals are more than the noise allows. */
export function round(x: number | null, digits = 2): number | null {
  if (x === null || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Percentile (0–100) of a sample, nearest rank. */
export function percentile(xs: readonly number[], p: number): number {
  const v = [...xs].sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]!;
}
