/**
 * Semaphore and BoundedSemaphore. KEYS: [1] the free permits, [2] meta {initial, bounded} (the first maker's
 * value wins), [3] the holders: a sorted set of grant id -> lease end, [4] the fence counter, [5..8] the
 * line of acquirers. Invariant: free + holders = initial, for a bounded one. A holder whose lease ended is
 * taken back into the free permits by the next script that runs.
 * A[1] the initial value, A[2] '1' if bounded, then the operation's own arguments.
 */
export const SEMAPHORE = `
local V, M, H, F = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local Q = line(5)

if redis.call('PEXPIRE', M, IDLE) == 0 then
  redis.call('HSET', M, 'initial', A[1], 'bounded', A[2])
  redis.call('PEXPIRE', M, IDLE)
  redis.call('SET', V, A[1])
end
touch(V, H)
local function free() return tonumber(redis.call('GET', V)) or 0 end

local function reclaim()
  local ids = redis.call('ZRANGEBYSCORE', H, '-inf', now() - 1, 'LIMIT', 0, 64)
  if #ids > 0 then
    redis.call('ZREM', H, unpack(ids))
    redis.call('INCRBY', V, #ids)
  end
end

local function take(id)
  redis.call('DECR', V)
  redis.call('ZADD', H, now() + LEASE, id)
  return num(nextfence(F))
end

-- Hands free permits to the line; nothing to do (not even a sweep) when nobody waits or holds a ticket.
local function pump()
  if not busy(Q) then return end
  sweep(Q)
  reclaim()
  while free() > 0 do
    local id = head(Q)
    if not id then break end
    grant(Q, take(id))
  end
end

-- A claimed ticket, unless the permit lapsed before the claim (then the waiter goes back to the head).
local function settle(id, t)
  if redis.call('ZSCORE', H, id) then return {1, t} end
  return regrant(Q, id, nil, pump, settle)
end

if OP == 'acquire' then
  local id, blocking = A[3], A[4] == '1'
  local waiting = busy(Q)
  if waiting then pump() elseif free() <= 0 then reclaim() end
  if free() > 0 and not (waiting and head(Q)) then return {1, take(id)} end
  if blocking then
    enqueue(Q, id)
    return {0}
  end
  return {-1}
elseif OP == 'claim' then
  return recheck(Q, A[3], pump, settle)
elseif OP == 'cancel' then
  return quit(Q, A[3], pump, settle)
elseif OP == 'release' then
  -- A[3] = n, A[4] = '1' to give back only the caller's own grants, A[5..] = the caller's grants, its own first.
  local n, strict = tonumber(A[3]), A[4] == '1'
  reclaim()
  if A[2] == '1' and not strict and n > redis.call('ZCARD', H) then
    return fail('ERR_VALUE', 'Semaphore released too many times')
  end
  local removed = 0
  for i = 5, #A do
    if removed < n and redis.call('ZREM', H, A[i]) == 1 then removed = removed + 1 end
  end
  if strict then
    n = removed
  elseif removed < n then
    redis.call('ZPOPMIN', H, n - removed)
  end
  redis.call('INCRBY', V, n)
  pump()
  return {n}
elseif OP == 'ack' then
  -- The waiter returned holding the permit its wake-up carried (A[4]; its grant id is the waiter's). Had the
  -- line taken it back after the permit lapsed, it leaves now (a permit handed to it since is the one it
  -- holds). 1: it holds a permit (its lease starts again), 0: it lapsed (the holder's lease is lost).
  local id = A[3]
  local again = done(Q, id, A[4])
  if again then pump() end
  if redis.call('ZSCORE', H, id) then
    redis.call('ZADD', H, now() + LEASE, id)
    return 1
  end
  return 0
elseif OP == 'renew' then
  local alive = {}
  for i = 3, #A do
    if redis.call('ZSCORE', H, A[i]) then
      redis.call('ZADD', H, now() + LEASE, A[i])
      alive[#alive + 1] = 1
    else
      alive[#alive + 1] = 0
    end
  end
  return alive
elseif OP == 'value' then
  reclaim()
  pump()
  return free()
end
return fail('ERR_INTERNAL', 'unknown operation ' .. tostring(OP))
`;
