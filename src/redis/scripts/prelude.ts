/**
 * The Lua every script starts with: server time, and the waiter lines that are the Redis tier's core.
 *
 * A line is four keys of one primitive (all under its hash tag): `w` the FIFO list of waiter ids, `d` a
 * sorted set of each waiter's deadline (server ms; a live waiter pushes it on at every re-check, so a dead
 * process's waiters lapse), `r` a hash of what each waiter asked for, and `t` a hash of tickets: what a
 * waiter was handed (a lock, a permit, an item, a notify). A ticket is durable: the pub/sub ring that
 * follows it may be lost, the ticket is not; a ticket nobody claims before its deadline is taken back
 * (`reclaim`). Waiter ids are `<process tag>.<n>`; the ring goes to the channel of that process only.
 *
 * A script is this prelude, then its own body (a function, `body`), then EPILOGUE, which runs the body at
 * most once per request id (see ../script.ts).
 *
 * KEYS of every script: [1] where the reply to a request id is kept; the script's own keys follow, and are
 * its KEYS from 1 on. ARGV: [1] idle TTL of the keys, [2] waiter TTL, [3] lease, [4] the operation, [5] the
 * request id ('' when the client never sends a command twice), [6..] the operation's arguments (A).
 * Replies: a table; `{'!', code, message}` is an error the client throws as a typed error.
 */
export const PRELUDE = `
local DONE = KEYS[1]
local KEYS = { unpack(KEYS, 2) }
local T0 = redis.call('TIME')
local NOW = tonumber(T0[1]) * 1000 + math.floor(tonumber(T0[2]) / 1000)
local IDLE = tonumber(ARGV[1])
local WTTL = tonumber(ARGV[2])
local LEASE = tonumber(ARGV[3])
local OP = ARGV[4]
local RID = ARGV[5]
local A = {}
for i = 6, #ARGV do A[#A + 1] = ARGV[i] end

local function num(x) return string.format('%d', x) end
local function fail(code, message) return {'!', code, message} end
local function touch(...)
  for _, k in ipairs({...}) do redis.call('PEXPIRE', k, IDLE) end
end
local function ring(id)
  local p = string.match(id, '^([^.]+)%.')
  if p then redis.call('PUBLISH', 'tk:w:' .. p, id) end
end
local function line(i) return { w = KEYS[i], d = KEYS[i + 1], r = KEYS[i + 2], t = KEYS[i + 3] } end
local function touchline(L) touch(L.w, L.d, L.r, L.t) end

-- Drops waiters whose deadline has passed, and takes back tickets nobody claimed in time.
local function sweep(L, reclaim)
  local dead = redis.call('ZRANGEBYSCORE', L.d, '-inf', NOW - 1, 'LIMIT', 0, 64)
  for _, id in ipairs(dead) do
    local ticket = redis.call('HGET', L.t, id)
    if ticket then
      redis.call('HDEL', L.t, id)
      if reclaim then reclaim(id, ticket) end
    else
      redis.call('LREM', L.w, 1, id)
    end
    redis.call('HDEL', L.r, id)
    redis.call('ZREM', L.d, id)
  end
end

local function head(L) return redis.call('LINDEX', L.w, 0) end

-- Idempotent: a waiter already in the line only has its deadline pushed on.
local function enqueue(L, id, req)
  if redis.call('ZADD', L.d, NOW + WTTL, id) == 1 then
    redis.call('RPUSH', L.w, id)
    if req then redis.call('HSET', L.r, id, req) end
  end
  touchline(L)
end

local function give(L, id, ticket)
  redis.call('HSET', L.t, id, ticket)
  redis.call('ZADD', L.d, NOW + WTTL, id)
  ring(id)
end

-- Hands 'ticket' to the head of the line.
local function grant(L, ticket)
  local id = redis.call('LPOP', L.w)
  give(L, id, ticket)
  return id
end

local function grantall(L, ticket)
  local ids = redis.call('LRANGE', L.w, 0, -1)
  redis.call('DEL', L.w)
  for _, id in ipairs(ids) do give(L, id, ticket) end
  return #ids
end

-- The waiter's ticket (consumed), nil if it still waits (its deadline pushed on), false if the line has
-- forgotten it (it lapsed while its process was away).
local function claim(L, id)
  local t = redis.call('HGET', L.t, id)
  if t then
    redis.call('HDEL', L.t, id)
    redis.call('HDEL', L.r, id)
    redis.call('ZREM', L.d, id)
    return t
  end
  if redis.call('ZSCORE', L.d, id) then
    redis.call('ZADD', L.d, NOW + WTTL, id)
    touchline(L)
    return nil
  end
  return false
end

local function leave(L, id)
  redis.call('LREM', L.w, 1, id)
  redis.call('HDEL', L.r, id)
  redis.call('ZREM', L.d, id)
end

-- Fencing tokens grow with every grant; from the server's clock when the counter has lapsed.
local function nextfence(F)
  local f = math.max((tonumber(redis.call('GET', F)) or 0) + 1, NOW)
  redis.call('SET', F, num(f), 'PX', IDLE)
  return f
end
`;

/**
 * A request sent again (a client that resends what was in flight when its connection dropped) gets the
 * reply of its first run instead of running twice; the reply is kept for a waiter TTL, long enough for a
 * reconnect. Replies that JSON cannot carry are not kept (none of the scripts' replies is such).
 */
export const EPILOGUE = `
if RID ~= '' then
  local kept = redis.call('GET', DONE)
  if kept then return cjson.decode(kept) end
end
local reply = body()
if RID ~= '' and reply ~= nil then
  local ok, json = pcall(cjson.encode, reply)
  if ok then redis.call('SET', DONE, json, 'PX', WTTL) end
end
return reply
`;
