/**
 * Queue, LifoQueue, PriorityQueue and SimpleQueue. KEYS: [1] the items (a list; for a PriorityQueue a sorted
 * set whose members `sortkey \\1 seq \\1 payload` order by key, then by arrival), [2] meta {unf, shut, kind},
 * [3] the arrival counter, [4..7] getters, [8..11] putters (their request is the item), [12..15] joiners.
 * Tickets: 'i' .. item to a getter, 'p' to a putter whose item went in, 'j' to a joiner, 'x' on shutdown.
 * A[1] the kind ('fifo', 'lifo', 'prio'), A[2] maxsize, then the operation's own arguments.
 */
export const QUEUE = `
local I, M, S = KEYS[1], KEYS[2], KEYS[3]
local G, P, J = line(4, true), line(8), line(12)
local KIND, MAX = A[1], tonumber(A[2])
touch(I, M, S)

local function size()
  if KIND == 'prio' then return redis.call('ZCARD', I) end
  return redis.call('LLEN', I)
end
local function full() return MAX > 0 and size() >= MAX end
local function push(x)
  if KIND == 'prio' then redis.call('ZADD', I, 0, x) else redis.call('RPUSH', I, x) end
end
local function pop()
  if KIND == 'prio' then return redis.call('ZPOPMIN', I)[1] end
  if KIND == 'lifo' then return redis.call('RPOP', I) end
  return redis.call('LPOP', I)
end
local function payload(x)
  if KIND == 'prio' then return string.match(x, '^[^\\1]*\\1[^\\1]*\\1(.*)$') end
  return x
end
local function unf(d) return redis.call('HINCRBY', M, 'unf', d) end
local function shut() return redis.call('HGET', M, 'shut') == '1' end

-- An item handed to a getter that never took it goes back where it came from.
local function reclaim(_, t)
  if string.sub(t, 1, 1) == 'i' then
    local x = string.sub(t, 2)
    if KIND == 'fifo' then redis.call('LPUSH', I, x) else push(x) end
  end
end

-- Nobody in line to get or put (and no ticket out): nothing to sweep or hand.
local function waiting() return redis.call('EXISTS', G.d, P.d) > 0 end

local function pump()
  sweep(G, reclaim)
  sweep(P)
  local moved = true
  while moved do
    moved = false
    while size() > 0 and head(G) do
      grant(G, 'i' .. pop())
      moved = true
    end
    while head(P) and not full() do
      push(redis.call('HGET', P.r, head(P)))
      unf(1)
      grant(P, 'p')
      moved = true
    end
  end
end

local function ticket(_, t)
  local tag = string.sub(t, 1, 1)
  if tag == 'x' then return fail('ERR_QUEUE_SHUT_DOWN', 'the queue is shut down') end
  if tag == 'i' then return {1, payload(string.sub(t, 2))} end
  return {1}
end

local function lineof(which)
  if which == 'g' then return G elseif which == 'p' then return P end
  return J
end

if OP == 'put' then
  local id, x, blocking, kind = A[3], A[4], A[5] == '1', A[6]
  if shut() then return fail('ERR_QUEUE_SHUT_DOWN', 'the queue is shut down') end
  if KIND == 'prio' then
    local cur = redis.call('HGET', M, 'kind')
    if size() == 0 and not head(P) then
      redis.call('HSET', M, 'kind', kind)
    elseif cur and cur ~= kind then
      return fail('TypeError', 'PriorityQueue cannot order this item with those queued: use numbers, strings or arrays of them, one kind per queue')
    end
    x = x .. string.format('\\1%016d\\1', redis.call('INCR', S)) .. A[7]
  end
  local queued = waiting()
  if queued then pump() end
  if full() or (queued and head(P)) then
    if blocking then
      enqueue(P, id, x)
      return {0}
    end
    return fail('ERR_QUEUE_FULL', 'the queue is full')
  end
  push(x)
  unf(1)
  if queued then pump() end
  return {1}
elseif OP == 'get' then
  local id, blocking = A[3], A[4] == '1'
  local queued = waiting()
  if queued then pump() end
  if size() > 0 and not (queued and head(G)) then
    local x = pop()
    if queued then pump() end
    return {1, payload(x)}
  end
  if shut() then return fail('ERR_QUEUE_SHUT_DOWN', 'the queue is shut down') end
  if blocking then
    enqueue(G, id)
    return {0}
  end
  return fail('ERR_QUEUE_EMPTY', 'the queue is empty')
elseif OP == 'claim' then
  return recheck(lineof(A[4]), A[3], pump, ticket)
elseif OP == 'ack' then
  done(lineof(A[4]), A[3], A[5])
  return 1
elseif OP == 'cancel' then
  return quit(lineof(A[4]), A[3], pump, ticket)
elseif OP == 'join' then
  local id, blocking = A[3], A[4] == '1'
  if (tonumber(redis.call('HGET', M, 'unf')) or 0) <= 0 then return {1} end
  if blocking then
    enqueue(J, id)
    return {0}
  end
  return {-1}
elseif OP == 'taskdone' then
  local u = unf(-1)
  if u < 0 then
    unf(1)
    return fail('ERR_VALUE', 'taskDone() called too many times')
  end
  if u == 0 then
    sweep(J)
    grantall(J, 'j')
  end
  return {u}
elseif OP == 'shutdown' then
  redis.call('HSET', M, 'shut', '1')
  if A[3] == '1' then
    local n = size()
    redis.call('DEL', I)
    local u = math.max(0, (tonumber(redis.call('HGET', M, 'unf')) or 0) - n)
    redis.call('HSET', M, 'unf', u)
    if u == 0 then grantall(J, 'j') end
  end
  sweep(G, reclaim)
  sweep(P)
  grantall(P, 'x')
  pump()
  grantall(G, 'x')
  return {1}
elseif OP == 'size' then
  if waiting() then pump() end
  return size()
end
return fail('ERR_INTERNAL', 'unknown operation ' .. tostring(OP))
`;
