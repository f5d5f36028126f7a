/** A tiny HTTP client for the adapter suite: real requests, cookies handled by hand. */

export interface Reply {
  status: number;
  headers: Headers;
  /** Every Set-Cookie header, in order. */
  setCookies: string[];
  /** The full Set-Cookie of the session cookie (`cloakroom` or `__Host-cloakroom`), if any. */
  sessionSetCookie: string | undefined;
  /** `name=value` of that Set-Cookie, ready to send back as a Cookie header. */
  cookie: string | undefined;
  text: string;
  json: unknown;
}

export interface RequestOptions {
  cookie?: string | undefined;
  headers?: Record<string, string>;
  body?: unknown;
}

const SESSION_COOKIE = /^(__Host-)?cloakroom=/;

export class Client {
  constructor(readonly base: string) {}

  async request(method: string, path: string, o: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...o.headers };
    if (o.cookie !== undefined) headers.cookie = o.cookie;
    if (o.body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(this.base + path, {
      method,
      headers,
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
      redirect: "manual",
    });
    const text = await res.text();
    const setCookies = res.headers.getSetCookie();
    const sessionSetCookie = setCookies.find((c) => SESSION_COOKIE.test(c));
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return {
      status: res.status,
      headers: res.headers,
      setCookies,
      sessionSetCookie,
      cookie: sessionSetCookie?.split(";", 1)[0],
      text,
      json,
    };
  }

  get(path: string, o?: RequestOptions) {
    return this.request("GET", path, o);
  }
  post(path: string, o?: RequestOptions) {
    return this.request("POST", path, o);
  }
  put(path: string, value: unknown, o: RequestOptions = {}) {
    return this.request("PUT", path, { ...o, body: { value } });
  }
  del(path: string, o?: RequestOptions) {
    return this.request("DELETE", path, o);
  }
}

/** The attributes of a Set-Cookie value, lower-cased names, for assertions. */
export function attributes(setCookie: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of setCookie.split(";").slice(1)) {
    const [k, ...v] = part.trim().split("=");
    out.set(k!.toLowerCase(), v.join("="));
  }
  return out;
}

/** True when the header lists `token` (case-insensitive), e.g. `Vary: Accept-Encoding, Cookie`. */
export function listHas(header: string | null, token: string): boolean {
  return (header ?? "")
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .includes(token.toLowerCase());
}
