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
 * The ring carries the ticket itself (`<id> <ticket>`), so that the waiter can return on receipt and drop
 * the ticket with an acknowledgement it does not wait for, unless the line `keep`s its tickets: one whose
 * unclaimed ticket is given back (a queue's item) must be claimed, or it could be taken twice.
 *
 * A script is this prelude (only the helpers its body uses: each closure costs server time at every call),
 * then its own body (a function, `body`), then EPILOGUE, which runs the body at most once per request id
 * (see ../script.ts).
 *
 * KEYS of every script: its own keys, then where the reply to a request id is kept (taken off the end).
 * ARGV: the operation's arguments (A), then the idle TTL of the keys, the waiter TTL, the lease, the
 * operation and the request id ('' when the client never sends a command twice), taken off the end.
 * Replies: a table; `{'!', code, message}` is an error the client throws as a typed error.
 */
const HEADER = `
local NA = #ARGV
local RID, OP = ARGV[NA], ARGV[NA - 1]
local LEASE, WTTL, IDLE = tonumber(ARGV[NA - 2]), tonumber(ARGV[NA - 3]), tonumber(ARGV[NA - 4])
for i = NA - 4, NA do ARGV[i] = nil end
local A = ARGV
local DONE = KEYS[#KEYS]
KEYS[#KEYS] = nil
`;

/** Helpers in definition order (each uses only those before it); a script gets those it names. */
const HELPERS: [name: string, lua: string][] = [
  ["num", `local function num(x) return string.format('%d', x) end`],
  ["fail", `local function fail(code, message) return {'!', code, message} end`],
  [
    "now",
    `-- The server's clock in ms, read once and only by a script that needs it.
local NOW
local function now()
  if not NOW then
    local t = redis.call('TIME')
    NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return NOW
end`,
  ],
  [
    "touch",
    `local function touch(...)
  for i = 1, select('#', ...) do redis.call('PEXPIRE', (select(i, ...)), IDLE) end
end`,
  ],
  [
    "line",
    `local function line(i, keep) return { w = KEYS[i], d = KEYS[i + 1], r = KEYS[i + 2], t = KEYS[i + 3], keep = keep } end`,
  ],
  ["touchline", `local function touchline(L) touch(L.w, L.d, L.r, L.t) end`],
  [
    "busy",
    `-- Someone in line or a ticket out (each has a deadline in d): only then is there anything to sweep or hand.
local function busy(L) return redis.call('EXISTS', L.d) == 1 end`,
  ],
  [
    "sweep",
    `-- Drops waiters whose deadline has passed, and takes back tickets nobody claimed in time.
local function sweep(L, reclaim)
  local dead = redis.call('ZRANGEBYSCORE', L.d, '-inf', now() - 1, 'LIMIT', 0, 64)
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
end`,
  ],
  ["head", `local function head(L) return redis.call('LINDEX', L.w, 0) end`],
  [
    "enqueue",
    `-- Idempotent: a waiter already in the line only has its deadline pushed on.
local function enqueue(L, id, req)
  if redis.call('ZADD', L.d, now() + WTTL, id) == 1 then
    redis.call('RPUSH', L.w, id)
    if req then redis.call('HSET', L.r, id, req) end
  end
  touchline(L)
end`,
  ],
  [
    "give",
    `local function give(L, id, ticket)
  redis.call('HSET', L.t, id, ticket)
  redis.call('ZADD', L.d, now() + WTTL, id)
  local p = string.match(id, '^([^.]+)%.')
  if p then redis.call('PUBLISH', 'tk:w:' .. p, L.keep and id or id .. ' ' .. ticket) end
end`,
  ],
  [
    "grant",
    `-- Hands 'ticket' to the head of the line.
local function grant(L, ticket)
  local id = redis.call('LPOP', L.w)
  give(L, id, ticket)
  return id
end`,
  ],
  [
    "grantall",
    `local function grantall(L, ticket)
  local ids = redis.call('LRANGE', L.w, 0, -1)
  redis.call('DEL', L.w)
  for _, id in ipairs(ids) do give(L, id, ticket) end
  return #ids
end`,
  ],
  [
    "drop",
    `-- A waiter out of the line (handed a ticket, or never queued): forgets its ticket, request and deadline.
local function drop(L, id)
  redis.call('HDEL', L.t, id)
  redis.call('HDEL', L.r, id)
  redis.call('ZREM', L.d, id)
end`,
  ],
  [
    "claim",
    `-- The waiter's ticket (consumed), nil if it still waits (its deadline pushed on), false if the line has
-- forgotten it (it lapsed while its process was away).
local function claim(L, id)
  local t = redis.call('HGET', L.t, id)
  if t then
    drop(L, id)
    return t
  end
  if redis.call('ZSCORE', L.d, id) then
    redis.call('ZADD', L.d, now() + WTTL, id)
    touchline(L)
    return nil
  end
  return false
end`,
  ],
  [
    "leave",
    `local function leave(L, id)
  redis.call('LREM', L.w, 1, id)
  redis.call('HDEL', L.r, id)
  redis.call('ZREM', L.d, id)
end`,
  ],
  [
    "done",
    `-- A waiter that returned on its ring (ticket 't'): the ticket goes. True if the line still had the
-- waiter otherwise (another ticket, or back in line after its grant lapsed): it is gone now too.
local function done(L, id, t)
  local mine = redis.call('HGET', L.t, id)
  if mine == t then
    drop(L, id)
    return false
  end
  if not mine and not redis.call('ZSCORE', L.d, id) then return false end
  redis.call('LREM', L.w, 1, id)
  drop(L, id)
  return true, mine
end`,
  ],
  [
    "recheck",
    `-- A parked waiter looking (woken, or re-checking): what it was handed ('settle'd), {0} while it waits
-- (its deadline pushed on), {-2} if the line forgot it (it asks again).
local function recheck(L, id, pump, settle)
  pump()
  local t = claim(L, id)
  if t then return settle(id, t) end
  if t == nil then return {0} end
  return {-2}
end`,
  ],
  [
    "quit",
    `-- A waiter giving up (timeout, abort): what it was handed meanwhile ('settle'd), or {-1} once it left.
local function quit(L, id, pump, settle)
  if redis.call('HGET', L.t, id) then return settle(id, claim(L, id)) end
  leave(L, id)
  pump()
  return {-1}
end`,
  ],
  [
    "regrant",
    `-- A claimed ticket whose grant lapsed before the claim: the waiter goes back to the head of the line, the
-- line moves on, and the waiter takes what that hands it ('settle' checks it again).
local function regrant(L, id, req, pump, settle)
  redis.call('LPUSH', L.w, id)
  redis.call('ZADD', L.d, now() + WTTL, id)
  if req then redis.call('HSET', L.r, id, req) end
  pump()
  local again = claim(L, id)
  if again then return settle(id, again) end
  return {0}
end`,
  ],
  [
    "nextfence",
    `-- Fencing tokens grow with every grant; from the server's clock when the counter has lapsed.
local function nextfence(F)
  local f = math.max((tonumber(redis.call('GET', F)) or 0) + 1, now())
  redis.call('SET', F, num(f), 'PX', IDLE)
  return f
end`,
  ],
];

/** The prelude of `body`: the header, and the helpers `body` uses (directly or through another helper). */
export function prelude(body: string): string {
  const used = (text: string, name: string) => new RegExp(`\\b${name}\\(`).test(text);
  let text = body;
  const picked: string[] = [];
  for (let i = HELPERS.length - 1; i >= 0; i--) {
    const [name, lua] = HELPERS[i]!;
    if (used(text, name)) {
      picked.unshift(lua);
      text += lua;
    }
  }
  return `${HEADER}\n${picked.join("\n")}\n`;
}

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
