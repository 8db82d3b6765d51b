--[[ schedulers.lua — reads job schedulers (getJobScheduler(s), getRepeatableJobs),
  or finds those whose started job has no successor yet (the stalled check).

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] 'range': ARGV[5] start, ARGV[6] end, ARGV[7] '1' ascending by due time
          'one':   ARGV[5] scheduler id
          'stuck': ARGV[5] started before (ms); at most 100
  Returns {id, {field, value, …}, …}: each scheduler's hash (with `next`).
]]
local ids
if ARGV[4] == 'one' then
  ids = {ARGV[5]}
elseif ARGV[4] == 'range' then
  ids = rcall(ARGV[7] == '1' and 'ZRANGE' or 'ZREVRANGE', Q.schedulers, ARGV[5], ARGV[6])
else
  ids = {}
  local marked = rcall('ZRANGEBYSCORE', Q.scheduledStarts, '-inf', ARGV[5], 'LIMIT', 0, 100)
  for _, sid in ipairs(marked) do
    local latest = rcall('HGET', scheduler_key(sid), 'job')
    if latest and not not_started(rcall('HGET', Q.jobPrefix .. latest, 'state')) then
      ids[#ids + 1] = sid
    else
      rcall('ZREM', Q.scheduledStarts, sid)
    end
  end
end
local out = {}
for _, sid in ipairs(ids) do
  local fields = rcall('HGETALL', scheduler_key(sid))
  if #fields > 0 then
    out[#out + 1] = sid
    out[#out + 1] = fields
  end
end
return out
