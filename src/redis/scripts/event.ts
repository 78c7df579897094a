/**
 * Event. KEYS: [1] the flag, [2..5] the line of waiters. set() hands every waiter a ticket, so a waiter
 * woken by set() returns true even if clear() came right after (as Python).
 */
export const EVENT = `
local E = KEYS[1]
local Q = line(2)
local function flag() return redis.call('GET', E) == '1' end

if OP == 'set' then
  redis.call('SET', E, '1', 'PX', IDLE)
  if busy(Q) then
    sweep(Q)
    grantall(Q, '1')
  end
  return 1
elseif OP == 'clear' then
  redis.call('SET', E, '0', 'PX', IDLE)
  return 1
elseif OP == 'isset' then
  return flag() and 1 or 0
elseif OP == 'wait' then
  local id, blocking = A[1], A[2] == '1'
  if busy(Q) then sweep(Q) end
  if flag() then return {1} end
  if blocking then
    enqueue(Q, id)
    return {0}
  end
  return {-1}
elseif OP == 'claim' then
  local t = claim(Q, A[1])
  if t then return {1} end
  if t == nil then return {0} end
  return {-2}
elseif OP == 'ack' then
  done(Q, A[1], A[2])
  return 1
elseif OP == 'cancel' then
  local id = A[1]
  if redis.call('HGET', Q.t, id) then
    claim(Q, id)
    return {1}
  end
  leave(Q, id)
  return {flag() and 1 or -1}
end
return fail('ERR_INTERNAL', 'unknown operation ' .. tostring(OP))
`;
