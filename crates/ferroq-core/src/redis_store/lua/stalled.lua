--[[ stalled.lua — one pass of stalled-job recovery for the queue. Active jobs whose
  lock deadline passed (their worker died or hung) go back to waiting, or fail once
  they stalled more than maxStalledCount times. A gate key lets only one pass per
  interval do the work, however many workers ask.

  KEYS[1] active   KEYS[2] locks    KEYS[3] wait     KEYS[4] prioritized
  KEYS[5] priority seq  KEYS[6] failed  KEYS[7] marker  KEYS[8] stalled-check gate
  ARGV[1] job key prefix   ARGV[2] now (ms)   ARGV[3] maxStalledCount
  ARGV[4] interval (ms)
  Returns {recoveredIds, failedIds}
]]
local jobPrefix = ARGV[1]
local now = tonumber(ARGV[2])
local maxStalled = tonumber(ARGV[3])

if not rcall('SET', KEYS[8], now, 'NX', 'PX', ARGV[4]) then
  return {{}, {}}
end

local stalled = rcall('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1000)
if #stalled == 0 then return {{}, {}} end
call_chunked('ZREM', KEYS[1], stalled)
call_chunked('HDEL', KEYS[2], stalled)

local recovered, failed = {}, {}
for _, id in ipairs(stalled) do
  local jobKey = jobPrefix .. id
  if rcall('EXISTS', jobKey) == 1 then
    local count = rcall('HINCRBY', jobKey, 'stc', 1)
    if count > maxStalled then
      rcall('HSET', jobKey, 'state', 'failed', 'finishedOn', now,
        'failedReason', 'job stalled more than allowable limit')
      rcall('ZADD', KEYS[6], now, id)
      failed[#failed + 1] = id
    else
      push_waiting(jobKey, id, KEYS[3], KEYS[4], KEYS[5], true)
      recovered[#recovered + 1] = id
    end
  end
end
if #recovered > 0 then signal_work(KEYS[7]) end
return {recovered, failed}
