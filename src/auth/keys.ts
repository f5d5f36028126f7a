/**
 * How a username and a client address become throttle keys, so that trivial
 * variations do not get fresh counters.
 */

/**
 * Trimmed, NFKC and lower case: "Alice", " ALICE\u00a0" and "Ａｌｉｃｅ"
 * (full-width) share one counter. Trimmed as user directories usually trim
 * (String.prototype.trim: every Unicode space), so a name that signs in as
 * "alice" cannot get fresh attempts as "alice\u2003". Apps with
 * case-sensitive usernames then share a counter between look-alike names,
 * which only makes throttling stricter.
 */
export function usernameKey(username: string): string {
  return username.normalize("NFKC").trim().toLowerCase();
}

/**
 * IPv4 as is; IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as the IPv4 address; other
 * IPv6 addresses by their /64 prefix, because one host usually owns a whole
 * /64 (RFC 6177, RFC 7421) and could otherwise rotate addresses for free.
 */
export function clientAddressKey(ip: string): string {
  const addr = ip.trim().toLowerCase().replace(/%.*$/, "");
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(addr);
  if (mapped) return mapped[1]!;
  if (!addr.includes(":")) return addr;
  const [head = "", tail = ""] = addr.split("::", 2) as [string, string?];
  const left = head ? head.split(":") : [];
  const right = addr.includes("::") && tail ? tail.split(":") : [];
  const groups = addr.includes("::")
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
