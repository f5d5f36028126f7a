/**
 * Memcached expiry times. protocol.txt: an exptime over 30 days
 * (2,592,000 s) is read as an absolute Unix time, and 0 means "never
 * expires" (REL-22). So: relative seconds up to 30 days, absolute past
 * that, and never 0.
 */
const THIRTY_DAYS = 30 * 24 * 60 * 60;

/**
 * The exptime for a record that dies at `deadline` (ms), seen at `clock` (ms).
 * Rounded up and one second of slack: Memcached's granularity is ±1 s, and
 * the native expiry must never come before the deadline the store enforces
 * itself on every read. At least 1: a record already past its deadline still
 * gets a short life rather than the "never" of 0.
 */
export function exptimeFor(deadline: number, clock: number): number {
  const seconds = Math.ceil((deadline - clock) / 1000) + 1;
  if (seconds <= 0) return 1;
  if (seconds > THIRTY_DAYS) return Math.ceil(deadline / 1000) + 1;
  return seconds;
}
