/**
 * Lock, RLock and the Condition over them. KEYS: [1] the lock hash {owner, count, fence} (it expires with
 * its lease), [2] the fence counter, [3..6] the line of acquirers, and for Condition [7..10] its line of
 * waiters. A request in the acquirers' line is `owner|count|notified`; a ticket is `fence|owner|count|notified`.
 * An RLock's owner is checked against the caller's chain of owners `,id,id,...,` (a scope and those around it).
 */
export const LOCK = `
local L, F = KEYS[1], KEYS[2]
local Q = line(3)
local C = KEYS[7] and line(7)

local function take(owner, count)
  local f = num(nextfence(F))
  redis.call('HSET', L, 'owner', owner, 'count', count, 'fence', f)
  redis.call('PEXPIRE', L, LEASE)
  return f
end

local function pump()
  if not busy(Q) then return end
  sweep(Q)
  if redis.call('EXISTS', L) == 1 then return end
  local id = head(Q)
  if not id then return end
  local req = redis.call('HGET', Q.r, id) or '|1|0'
  local owner = string.match(req, '^([^|]*)|')
  local count = string.match(req, '^[^|]*|([^|]*)|')
  grant(Q, take(owner, count) .. '|' .. req)
end

local function inchain(owner, chain) return string.find(chain, ',' .. owner .. ',', 1, true) ~= nil end

local function held(chain, reentrant)
  local cur = redis.call('HGET', L, 'owner')
  if not cur then return false end
  if reentrant then return inchain(cur, chain) end
  return true
end

-- A claimed ticket, unless its grant lapsed before the claim (then the waiter goes back to the head).
local function settle(id, t)
  local f, req = string.match(t, '^([^|]*)|(.*)$')
  if redis.call('HGET', L, 'fence') == f then
    local owner, count, notified = string.match(req, '^([^|]*)|([^|]*)|(.*)$')
    return {1, f, owner, count, notified}
  end
  return regrant(Q, id, req, pump, settle)
end

if OP == 'acquire' then
  local id, owner, chain, blocking, reentrant = A[1], A[2], A[3], A[4] == '1', A[5] == '1'
  local empty = not busy(Q)
  if not empty then pump() end
  local cur = redis.call('HGET', L, 'owner')
  if cur and reentrant and inchain(cur, chain) then
    local count = redis.call('HINCRBY', L, 'count', 1)
    redis.call('PEXPIRE', L, LEASE)
    return {1, redis.call('HGET', L, 'fence'), cur, count}
  end
  if not cur and (empty or not head(Q)) then return {1, take(owner, 1), owner, 1} end
  if blocking then
    enqueue(Q, id, owner .. '|1|0')
    return {0}
  end
  return {-1}
elseif OP == 'claim' then
  return recheck(Q, A[1], pump, settle)
elseif OP == 'cancel' then
  return quit(Q, A[1], pump, settle)
elseif OP == 'release' then
  local chain, reentrant, fence = A[1], A[2] == '1', A[3]
  local got = redis.call('HMGET', L, 'owner', 'fence')
  local cur, f = got[1], got[2]
  if reentrant then
    if not cur or not inchain(cur, chain) then return fail('ERR_RUNTIME', 'cannot release un-acquired lock') end
    local left = redis.call('HINCRBY', L, 'count', -1)
    if left > 0 then return {left, f} end
  else
    if not cur then return fail('ERR_RUNTIME', 'release unlocked lock') end
    if fence ~= '' and f ~= fence then return fail('ERR_RUNTIME', 'release unlocked lock') end
  end
  redis.call('DEL', L)
  pump()
  return {0, f}
elseif OP == 'ack' then
  -- The waiter returned holding the grant its wake-up carried (A[2]). Had that grant lapsed and the line
  -- taken the waiter back, it leaves now, giving back a grant handed to it since. 1: the grant still holds
  -- (its lease starts again), 0: it lapsed (the holder's lease is lost).
  local id, t = A[1], A[2]
  local f = string.match(t, '^([^|]*)|')
  local again, other = done(Q, id, t)
  if again then
    if other and redis.call('HGET', L, 'fence') == string.match(other, '^([^|]*)|') then redis.call('DEL', L) end
    pump()
  end
  if redis.call('HGET', L, 'fence') == f then
    redis.call('PEXPIRE', L, LEASE)
    return 1
  end
  return 0
elseif OP == 'renew' then
  if redis.call('HGET', L, 'fence') == A[1] then
    redis.call('PEXPIRE', L, LEASE)
    return 1
  end
  return 0
elseif OP == 'locked' then
  pump()
  return redis.call('EXISTS', L)
elseif OP == 'owned' then
  return held(A[1], true) and 1 or 0
elseif OP == 'cwait' then
  -- Enqueue on the condition and let go of the lock, in one step: no notify can fall between the two.
  local id, chain, reentrant = A[1], A[2], A[3] == '1'
  if not held(chain, reentrant) then return fail('ERR_RUNTIME', 'cannot wait on un-acquired lock') end
  local owner = reentrant and redis.call('HGET', L, 'owner') or id
  local count = redis.call('HGET', L, 'count')
  local f = redis.call('HGET', L, 'fence')
  sweep(C)
  enqueue(C, id, owner .. '|' .. count .. '|0')
  redis.call('DEL', L)
  pump()
  return {0, f, owner, count}
elseif OP == 'notify' then
  -- A notified waiter moves to the acquirers' line; it wakes when the lock is handed to it.
  local chain, reentrant, n = A[1], A[2] == '1', tonumber(A[3])
  if not held(chain, reentrant) then return fail('ERR_RUNTIME', 'cannot notify on un-acquired lock') end
  sweep(C)
  local k = 0
  while k < n do
    local id = redis.call('LPOP', C.w)
    if not id then break end
    local req = redis.call('HGET', C.r, id) or '|1|0'
    redis.call('HDEL', C.r, id)
    redis.call('ZREM', C.d, id)
    enqueue(Q, id, string.match(req, '^([^|]*|[^|]*)|') .. '|1')
    k = k + 1
  end
  return {k}
elseif OP == 'cclaim' then
  local id, owner, count = A[1], A[2], A[3]
  pump()
  local t = claim(Q, id)
  if t then return settle(id, t) end
  if t == nil or claim(C, id) == nil then return {0} end
  enqueue(Q, id, owner .. '|' .. count .. '|0')
  pump()
  t = claim(Q, id)
  if t then return settle(id, t) end
  return {0}
elseif OP == 'ccancel' then
  -- Timeout or abort of a condition waiter: it leaves the condition (if still there) for the lock's line.
  local id, owner, count = A[1], A[2], A[3]
  local t = redis.call('HGET', Q.t, id)
  if t then return settle(id, claim(Q, id)) end
  if redis.call('ZSCORE', Q.d, id) then return {0} end
  leave(C, id)
  enqueue(Q, id, owner .. '|' .. count .. '|0')
  pump()
  t = claim(Q, id)
  if t then return settle(id, t) end
  return {0}
end
return fail('ERR_INTERNAL', 'unknown operation ' .. tostring(OP))
`;
