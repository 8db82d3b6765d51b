--[[ stalled.lua — one pass of stalled-job recovery for the queue. Active jobs whose
  lock deadline passed (their worker died or hung) go back to the front of the line,
  or fail once they stalled more than maxStalledCount times (a cancelled one fails
  with its cancel reason). A gate key lets only one
  pass per interval do the work, however many workers ask.

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] now (ms)   ARGV[5] maxStalledCount   ARGV[6] gate interval (ms)
  ARGV[7] keep count, ARGV[8] keep age (s): the worker's removeOnFail, for failed
          jobs that store no rule of their own (-1: no limit; count 0: remove)
  Returns {recoveredIds, failedIds} (failed: stalled too often, or cancelled)
]]
local nowText = ARGV[4]
local now = tonumber(nowText)
local maxStalled = tonumber(ARGV[5])
local defaultCount, defaultAge = tonumber(ARGV[7]), tonumber(ARGV[8])

if not rcall('SET', Q.stalledCheck, nowText, 'NX', 'PX', ARGV[6]) then
  return {{}, {}}
end

local stalled = rcall('ZRANGEBYSCORE', Q.active, '-inf', now, 'LIMIT', 0, 1000)
if #stalled == 0 then return {{}, {}} end
call_chunked('ZREM', Q.active, stalled)
call_chunked('HDEL', Q.locks, stalled)

local line = new_line()
local done = new_finishes()
local recovered, failed = {}, {}
local cancelled = take_cancels(stalled)
for _, id in ipairs(stalled) do
  local jobKey = Q.jobPrefix .. id
  if cancelled[id] then
    if rcall('EXISTS', jobKey) == 1 then
      emit('stalled', 'jobId', id)
      fail_cancelled(done, id, cancelled[id], nowText, 'active', {})
      failed[#failed + 1] = id
    end
  elseif rcall('EXISTS', jobKey) == 1 then
    emit('stalled', 'jobId', id)
    local count = rcall('HINCRBY', jobKey, 'stc', 1)
    if count > maxStalled then
      local keepCount, keepAge = stored_keep_rule(rcall('HGET', jobKey, 'rof'), defaultCount, defaultAge)
      local reason = 'job stalled more than allowable limit'
      finish(done, id, 'failed', nowText, {'failedReason', reason}, keepCount, keepAge, reason)
      failed[#failed + 1] = id
    else
      place_stored(line, id, jobKey, nil, true, 'active')
      recovered[#recovered + 1] = id
    end
  end
end
flush_finishes(done, nowText)
flush_line(line, true)
return {recovered, failed}
