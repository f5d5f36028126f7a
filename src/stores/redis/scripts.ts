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
import { DIGITS, SIZE_FIELD_FROM } from "./layout.js";

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
-- Digit values by arithmetic on the byte (0-9 A-Z a-z _ ~), not a lookup
-- table: a table would be built again on every call of the script.
local function num(s)
  local neg = string.byte(s, 1) == 45
  local n, first = 0, 1
  if neg then first = 2 end
  for k = first, #s do
    local b = string.byte(s, k)
    if b <= 57 then b = b - 48
    elseif b <= 90 then b = b - 55
    elseif b == 95 then b = 62
    elseif b == 126 then b = 63
    else b = b - 61 end
    n = n * 64 + b
  end
  if neg then return -n end
  return n
end
local function times(t)
  local c, l, i, a = string.match(t, '^([^.]+)%.([^.]+)%.([^.]+)%.([^.]+)$')
  if not c then return nil end
  c = num(c)
  l = c + num(l)
  return c, l, l + num(i), c + num(a)
end
-- The new \`t\` text and TTL: lastSeen and the idle deadline move, never past the absolute one.
local function touched(c, a, l, i)
  if i > a then i = a end
  return b64(c) .. '.' .. b64(l - c) .. '.' .. b64(i - l) .. '.' .. b64(a - c), i
end
local function touch(key, c, a, l, i)
  local t, at = touched(c, a, l, i)
  redis.call('HSET', key, 't', t)
  redis.call('PEXPIREAT', key, at)
end
`;

/**
 * KEYS[1] session; ARGV: expireAt, then field/value pairs.
 * Replaces any previous hash (create never merges into an old record), and
 * writes the running size \`s\` (layout.ts) when the data is large enough to need it.
 */
export const CREATE = script(
  "create",
  `local s = 0
for n = 2, #ARGV, 2 do
  if string.byte(ARGV[n], 1) == 58 then s = s + #ARGV[n] - 1 + #ARGV[n + 1] end
end
redis.call('DEL', KEYS[1])
if s >= ${SIZE_FIELD_FROM} then
  redis.call('HSET', KEYS[1], 's', s, unpack(ARGV, 2))
else
  redis.call('HSET', KEYS[1], unpack(ARGV, 2))
end
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return 1`,
);

/**
 * KEYS[1] session; ARGV: now. The claim step of a rotation: deletes the
 * session only if it is alive at `now`, and answers {user id or '',
 * createdAt} of what it deleted, or nil when it was gone or expired (nothing
 * deleted). Of a claim and a revocation of one session, whichever Redis runs
 * first wins; the other finds nothing.
 */
export const CLAIM = script(
  "claim",
  `${TIMES}
local t = redis.call('HGET', KEYS[1], 't')
if not t then return nil end
local c, l, i, a = times(t)
local now = tonumber(ARGV[1])
if not c or i <= now or a <= now then return nil end
local u = redis.call('HGET', KEYS[1], 'u')
redis.call('DEL', KEYS[1])
return {u or '', tostring(c)}`,
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

// The size check shared by both patch scripts. Before it: `h` = HMGET t, s.
// After it: `total` (the data's size once patched), `kept` (the record keeps
// `s`), `nset`, `last`; it has returned 2 when the patch would not fit.
const SIZE = `
-- HMGET answers false (not nil) for an absent field.
local total = nil
if h[2] then total = tonumber(h[2]) end
local kept = total ~= nil
-- Value bytes of each field as this patch leaves it so far; false when absent.
local cur = {}
local whole = false
if not total then
  total = 0
  whole = true
  local all = redis.call('HGETALL', KEYS[1])
  for n = 1, #all, 2 do
    local f = all[n]
    if string.byte(f, 1) == 58 then
      cur[f] = #all[n + 1]
      total = total + #f - 1 + cur[f]
    end
  end
end
local function old(f)
  local v = cur[f]
  if v ~= nil or whole then return v or false end
  v = redis.call('HSTRLEN', KEYS[1], f)
  if v == 0 and redis.call('HEXISTS', KEYS[1], f) == 0 then return false end
  return v
end
local nset = tonumber(ARGV[5])
local last = 5 + 2 * nset
for n = 6, last, 2 do
  local f = ARGV[n]
  local o = old(f)
  if o then total = total - (#f - 1 + o) end
  o = #ARGV[n + 1]
  total = total + #f - 1 + o
  cur[f] = o
end
for n = last + 1, #ARGV do
  local f = ARGV[n]
  local o = old(f)
  if o then total = total - (#f - 1 + o) end
  cur[f] = false
end
if total > tonumber(ARGV[2]) then return 2 end
`;

/**
 * KEYS[1] session; ARGV: now, maxBytes, touchLastSeen, touchIdle, n, then n
 * field/value pairs to set, then fields to delete (field names already carry
 * the data prefix). A patch that also moves the idle deadline; one that does
 * not is PATCH_DATA.
 * 1 ok, 0 missing or expired, 2 too large; nothing is written unless 1.
 * The size rule is encodedSize() of src/core/codec.ts: Lua's # counts bytes,
 * so key bytes + JSON bytes, the data prefix not counted.
 *
 * A session of SIZE_FIELD_FROM bytes or more keeps its size in \`s\`, so the
 * check reads only the fields the patch replaces (HSTRLEN), never the whole
 * hash: a write costs Redis what it changes, not what the session holds. A
 * record without \`s\` (a small one, or one written before \`s\` existed) is
 * summed (HGETALL), and gets its \`s\` in this write once it is that large;
 * once there, \`s\` is kept exact for the record's life.
 */
export const PATCH = script(
  "patch",
  `${TIMES}
local h = redis.call('HMGET', KEYS[1], 't', 's')
local t = h[1]
if not t then return 0 end
local c, l, i, a = times(t)
local now = tonumber(ARGV[1])
if not c or i <= now or a <= now then return 0 end
${SIZE}
local tt, at = touched(c, a, tonumber(ARGV[3]), tonumber(ARGV[4]))
if kept or total >= ${SIZE_FIELD_FROM} then
  redis.call('HSET', KEYS[1], 's', total, 't', tt, unpack(ARGV, 6, last))
else
  redis.call('HSET', KEYS[1], 't', tt, unpack(ARGV, 6, last))
end
redis.call('PEXPIREAT', KEYS[1], at)
if #ARGV > last then redis.call('HDEL', KEYS[1], unpack(ARGV, last + 1)) end
return 1`,
);

/**
 * PATCH without a touch (ARGV[3] and [4] empty): most writes, since a
 * session is touched at most once per `touchAfter`. It neither decodes nor
 * writes `t` — that decoding, in Lua, was a third of a write's cost to
 * Redis (docs/benchmarks.md). Alive at `now` is read from the key's own
 * expiry instead: every write sets PEXPIREAT to the earlier of the idle and
 * absolute deadlines, so the session is alive exactly while that is later
 * than `now` (PEXPIRETIME: Redis 7.0 and later). A record without a TTL
 * (not written by this store) is still judged by its `t`.
 */
export const PATCH_DATA = script(
  "patch-data",
  `local h = redis.call('HMGET', KEYS[1], 't', 's')
if not h[1] then return 0 end
local e = redis.call('PEXPIRETIME', KEYS[1])
local now = tonumber(ARGV[1])
if e == -1 then
  -- No TTL, so not as this store writes (a tool's copy, a PERSIST): judge by \`t\`.
  ${TIMES}
  local c, l, i, a = times(h[1])
  if not c or i <= now or a <= now then return 0 end
elseif e <= now then
  return 0
end
${SIZE}
if kept or total >= ${SIZE_FIELD_FROM} then
  redis.call('HSET', KEYS[1], 's', total, unpack(ARGV, 6, last))
elseif nset > 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 6, last))
end
if #ARGV > last then redis.call('HDEL', KEYS[1], unpack(ARGV, last + 1)) end
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
-- Keep the running size (PATCH) exact; a record without one is summed by its next patch.
if redis.call('HEXISTS', KEYS[1], 's') == 1 then
  redis.call('HINCRBY', KEYS[1], 's', -(#ARGV[2] - 1 + #v))
end
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
