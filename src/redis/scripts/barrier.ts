/**
 * Barrier. KEYS: [1] the state {parties, state ('f' filling, 'd' draining: an action runs, 'b' broken),
 * acting, aborts}, [2..5] the parties of the filling round, [6..9] newcomers waiting for a draining round
 * to end, [10] the parties of the draining round (their arrival index in the round line's requests),
 * [11..14] actors: processes whose Barrier has an action stand in this line; when the last arrival has none,
 * the round drains while the head actor runs it (ticket 'a' .. aborts), the last arrival waiting as the rest.
 * Tickets: an arrival index, 'b' (broken), 'g' (a newcomer may try again), 'm' (a newcomer was moved into
 * the round that opened: it waits on there). A[1] parties, then the
 * operation's own arguments. The state machine is the local tier's (src/local/barrier.ts).
 */
export const BARRIER = `
local B = KEYS[1]
local R, E = line(2), line(6)
local D = KEYS[10]
local ACT = line(11, true)
if redis.call('EXISTS', B) == 0 then
  redis.call('HSET', B, 'parties', A[1], 'state', 'f', 'acting', '0', 'aborts', '0')
end
touch(B, D)
local function st() return redis.call('HGET', B, 'state') end
local function broken() return fail('ERR_BROKEN_BARRIER', 'the barrier is broken') end

local function breakit()
  redis.call('HINCRBY', B, 'aborts', 1)
  redis.call('HSET', B, 'state', 'b')
  grantall(R, 'b')
  grantall(E, 'g')
end

local function lineof(which)
  if which == 'e' then return E elseif which == 'a' then return ACT end
  return R
end

-- An actor that died holding a round's action: the round breaks, as if the action had failed.
local function actorlost()
  redis.call('HSET', B, 'acting', '0')
  local ids = redis.call('LRANGE', D, 0, -1)
  redis.call('DEL', D)
  breakit()
  for _, w in ipairs(ids) do give(R, w, 'b') end
end
if busy(ACT) then sweep(ACT, actorlost) end

if OP == 'wait' then
  local id, blocking, acts = A[2], A[3] == '1', A[4] == '1'
  sweep(R)
  sweep(E)
  local s = st()
  if s == 'b' then return broken() end
  if s == 'd' then
    if blocking then
      enqueue(E, id)
      return {0, 'e'}
    end
    redis.call('HSET', B, 'state', 'b')
    grantall(E, 'g')
    return broken()
  end
  local parties = tonumber(redis.call('HGET', B, 'parties'))
  local n = redis.call('LLEN', R.w)
  if n + 1 < parties then
    if blocking then
      enqueue(R, id)
      return {0, 'r'}
    end
    breakit()
    return broken()
  end
  local ids = redis.call('LRANGE', R.w, 0, -1)
  redis.call('DEL', R.w)
  local actor = not acts and head(ACT)
  if actor then ids[#ids + 1] = id end
  if not acts and not actor then
    for i, w in ipairs(ids) do give(R, w, tostring(i - 1)) end
    return {1, parties - 1}
  end
  redis.call('DEL', D)
  for i, w in ipairs(ids) do
    redis.call('HSET', R.r, w, tostring(i - 1))
    redis.call('ZADD', R.d, now() + WTTL, w)
    redis.call('RPUSH', D, w)
  end
  redis.call('HSET', B, 'state', 'd', 'acting', '1')
  if actor then
    grant(ACT, 'a' .. redis.call('HGET', B, 'aborts'))
    return {0, 'r'}
  end
  return {2, parties - 1, redis.call('HGET', B, 'aborts')}
elseif OP == 'finish' then
  local ok, aborts, again = A[2] == '1', A[3], A[4]
  -- An actor stands again before the round passes: the next round cannot complete without finding it.
  if again ~= '' then enqueue(ACT, again) end
  redis.call('HSET', B, 'acting', '0')
  local ids = redis.call('LRANGE', D, 0, -1)
  redis.call('DEL', D)
  if not ok then
    breakit()
    for _, w in ipairs(ids) do give(R, w, 'b') end
    return {0}
  end
  if st() == 'd' then
    redis.call('HSET', B, 'state', 'f')
    -- The newcomers enter the round that opens in their order of arrival ('m': wait on in it), as many as
    -- it holds without completing; the rest arrive again ('g').
    local parties = tonumber(redis.call('HGET', B, 'parties'))
    for _ = 1, parties - 1 - redis.call('LLEN', R.w) do
      local id = redis.call('LPOP', E.w)
      if not id then break end
      redis.call('HDEL', E.r, id)
      give(E, id, 'm')
      enqueue(R, id)
    end
    grantall(E, 'g')
  end
  local passed = redis.call('HGET', B, 'aborts') == aborts
  for _, w in ipairs(ids) do
    local index = redis.call('HGET', R.r, w)
    if passed and index then give(R, w, index) else give(R, w, 'b') end
  end
  return {passed and 1 or 0}
elseif OP == 'stand' then
  enqueue(ACT, A[2])
  return {0}
elseif OP == 'abort' then
  breakit()
  return 1
elseif OP == 'reset' then
  if st() == 'd' then return 0 end
  grantall(R, 'b')
  redis.call('HSET', B, 'state', redis.call('HGET', B, 'acting') == '1' and 'd' or 'f')
  return 1
elseif OP == 'claim' then
  local id = A[2]
  local t = claim(lineof(A[3]), id)
  if t then return {1, t} end
  if t == nil then return {0} end
  return {-2}
elseif OP == 'ack' then
  done(lineof(A[3]), A[2], A[4])
  return 1
elseif OP == 'cancel' then
  local id, which, timedout = A[2], A[3], A[4] == 't'
  local L = lineof(which)
  if redis.call('HGET', L.t, id) then return {1, claim(L, id)} end
  if which == 'r' and redis.call('HEXISTS', R.r, id) == 1 then return {0} end
  leave(L, id)
  if not timedout then return {-1} end
  if which == 'r' then
    breakit()
  elseif st() == 'd' then
    redis.call('HSET', B, 'state', 'b')
    grantall(E, 'g')
  end
  return broken()
elseif OP == 'state' then
  sweep(R)
  local s = st()
  return {s, s == 'f' and redis.call('LLEN', R.w) or 0}
end
return fail('ERR_INTERNAL', 'unknown operation ' .. tostring(OP))
`;
