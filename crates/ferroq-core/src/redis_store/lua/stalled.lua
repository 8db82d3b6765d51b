--[[ stalled.lua — one pass of stalled-job recovery for the queue. Active jobs whose
  lock deadline passed (their worker died or hung) go back to the front of the line,
  or fail once they stalled more than maxStalledCount times. A gate key lets only one
  pass per interval do the work, however many workers ask.

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] now (ms)
  ARGV[4] maxStalledCount  ARGV[5] gate interval (ms)
  ARGV[6] keep count, ARGV[7] keep age (s): the worker's removeOnFail, for failed
          jobs that store no rule of their own (-1: no limit; count 0: remove)
  Returns {recoveredIds, failedIds}
]]
local nowText = ARGV[3]
local now = tonumber(nowText)
local maxStalled = tonumber(ARGV[4])
local defaultCount, defaultAge = tonumber(ARGV[6]), tonumber(ARGV[7])

if not rcall('SET', Q.stalledCheck, nowText, 'NX', 'PX', ARGV[5]) then
  return {{}, {}}
end

local stalled = rcall('ZRANGEBYSCORE', Q.active, '-inf', now, 'LIMIT', 0, 1000)
if #stalled == 0 then return {{}, {}} end
call_chunked('ZREM', Q.active, stalled)
call_chunked('HDEL', Q.locks, stalled)

local line = new_line()
local done = new_finishes()
local recovered, failed = {}, {}
for _, id in ipairs(stalled) do
  local jobKey = Q.jobPrefix .. id
  if rcall('EXISTS', jobKey) == 1 then
    local count = rcall('HINCRBY', jobKey, 'stc', 1)
    if count > maxStalled then
      local keepCount, keepAge = stored_keep_rule(rcall('HGET', jobKey, 'rof'), defaultCount, defaultAge)
      finish(done, id, 'failed', nowText,
        {'failedReason', 'job stalled more than allowable limit'}, keepCount, keepAge)
      failed[#failed + 1] = id
    else
      place_stored(line, id, jobKey, nil, true)
      recovered[#recovered + 1] = id
    end
  end
end
flush_finishes(done, nowText)
flush_line(line, true)
return {recovered, failed}
