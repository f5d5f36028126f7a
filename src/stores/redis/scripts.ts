/**
 * The Lua scripts behind every multi-step write. A script runs atomically on
 * the node that owns its one key, so "check the session is alive, apply the
 * change, move the TTL" cannot interleave with another request's write, and
 * a patch can never recreate a session that a logout just deleted (the
 * session-file-store #55 / connect-redis #328 failure). Each script touches
 * exactly one key, so all of them are legal on Redis Cluster.
 *
 * Sent as EVALSHA (the 40-byte hash, not the body); on NOSCRIPT — a fresh
 * node, a failover, SCRIPT FLUSH — the store falls back to EVAL once, which
 * also caches the script on that node.
 */
import { createHash } from "node:crypto";
import { DIGITS } from "./layout.js";

export interface Script {
  readonly name: string;
  readonly body: string;
  readonly sha: string;
}

function script(name: string, body: string): Script {
  return { name, body, sha: createHash("sha1").update(body).digest("hex") };
}

// Times live in one field `t` (layout.ts): four numbers in base 64 (DIGITS),
// created.lastSeen-created.idle-lastSeen.absolute-created.
const TIMES = `
local D = '${DIGITS}'
local V = {}
for n = 1, 64 do V[string.byte(D, n)] = n - 1 end
local function num(s)
  local neg = string.sub(s, 1, 1) == '-'
  if neg then s = string.sub(s, 2) end
  local n = 0
  for k = 1, #s do n = n * 64 + V[string.byte(s, k)] end
  if neg then return -n end
  return n
end
local function b64(n)
  local neg = n < 0
  if neg then n = -n end
  local s = ''
  repeat
    local d = n % 64
    s = string.sub(D, d + 1, d + 1) .. s
    n = (n - d) / 64
  until n == 0
  if neg then s = '-' .. s end
  return s
end
local function times(t)
  local c, l, i, a = string.match(t, '^([^.]+)%.([^.]+)%.([^.]+)%.([^.]+)$')
  if not c then return nil end
  c = num(c)
  l = c + num(l)
  return c, l, l + num(i), c + num(a)
end
-- Moves lastSeen and the idle deadline (never past the absolute one) and the TTL with them.
local function touch(key, c, a, l, i)
  if i > a then i = a end
  redis.call('HSET', key, 't', b64(c) .. '.' .. b64(l - c) .. '.' .. b64(i - l) .. '.' .. b64(a - c))
  redis.call('PEXPIREAT', key, i)
end
`;

/**
 * KEYS[1] session; ARGV: expireAt, then field/value pairs.
 * Replaces any previous hash (create never merges into an old record).
 */
export const CREATE = script(
  "create",
  `redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return 1`,
);

/**
 * KEYS[1] session; ARGV: now, lastSeenAt, idleExpiresAt.
 * 1 when touched, 0 when the session is gone or expired at `now` (nothing written).
 */
export const TOUCH = script(
  "touch",
  `${TIMES}
local t = redis.call('HGET', KEYS[1], 't')
if not t then return 0 end
local c, l, i, a = times(t)
local now = tonumber(ARGV[1])
if not c or i <= now or a <= now then return 0 end
touch(KEYS[1], c, a, tonumber(ARGV[2]), tonumber(ARGV[3]))
return 1`,
);

/**
 * KEYS[1] session; ARGV: now, maxBytes, touchLastSeen ('' for none),
 * touchIdle, n, then n field/value pairs to set, then fields to delete
 * (field names already carry the data prefix).
 * 1 ok, 0 missing or expired, 2 too large; nothing is written unless 1.
 * The size rule is encodedSize() of src/core/codec.ts: Lua's # counts bytes,
 * so key bytes + JSON bytes, the data prefix not counted.
 */
export const PATCH = script(
  "patch",
  `${TIMES}
local all = redis.call('HGETALL', KEYS[1])
local sizes, t = {}, nil
for n = 1, #all, 2 do
  local f = all[n]
  if string.byte(f, 1) == 58 then sizes[f] = #f - 1 + #all[n + 1]
  elseif f == 't' then t = all[n + 1] end
end
if not t then return 0 end
local c, l, i, a = times(t)
local now = tonumber(ARGV[1])
if not c or i <= now or a <= now then return 0 end
local nset = tonumber(ARGV[5])
local last = 5 + 2 * nset
for n = 6, last, 2 do sizes[ARGV[n]] = #ARGV[n] - 1 + #ARGV[n + 1] end
for n = last + 1, #ARGV do sizes[ARGV[n]] = nil end
local total = 0
for _, s in pairs(sizes) do total = total + s end
if total > tonumber(ARGV[2]) then return 2 end
if nset > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 6, last)) end
if #ARGV > last then redis.call('HDEL', KEYS[1], unpack(ARGV, last + 1)) end
if ARGV[3] ~= '' then touch(KEYS[1], c, a, tonumber(ARGV[3]), tonumber(ARGV[4])) end
return 1`,
);

/**
 * KEYS[1] user index; ARGV: score (absolute deadline), member (store key),
 * pruneBefore. Adds the session, drops members whose absolute deadline has
 * passed, and keeps the index alive exactly as long as its longest session.
 */
export const INDEX_ADD = script(
  "index-add",
  `redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if top[2] then redis.call('PEXPIREAT', KEYS[1], top[2]) end
return 1`,
);

/**
 * KEYS[1] session; ARGV: now, field (with the data prefix), value.
 * 1 when the field held the JSON string `value` and is now gone; 0 otherwise
 * (session gone or expired, field absent or holding something else).
 */
export const CONSUME = script(
  "consume",
  `${TIMES}
local t = redis.call('HGET', KEYS[1], 't')
if not t then return 0 end
local c, l, i, a = times(t)
local now = tonumber(ARGV[1])
if not c or i <= now or a <= now then return 0 end
local v = redis.call('HGET', KEYS[1], ARGV[2])
if not v then return 0 end
local ok, s = pcall(cjson.decode, v)
if not ok or type(s) ~= 'string' or s ~= ARGV[3] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[2])
return 1`,
);

/**
 * KEYS[1] counter; ARGV: by, ttlMs. INCRBY, and a TTL only when the counter
 * has none (it was just born): later increments never move the window.
 */
export const INCREMENT = script(
  "increment",
  `local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v`,
);
