--[[ obliterate.lua — removes the queue: up to `count` jobs a call (the caller calls
  again while jobs remain), then every key of the queue. Without `force` it refuses
  while jobs are active, and changes nothing. The first call pauses the queue, so no
  job becomes active while the others run; the locks of active jobs removed go too,
  so a worker finishing one later writes nothing.

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] '1' to force (active jobs are removed too)   ARGV[5] count
  Returns -1 when refused (active jobs), else the number of jobs removed by this
  call (0: the queue is gone).
]]
local force, count = ARGV[4] == '1', tonumber(ARGV[5])
if not force and rcall('ZCARD', Q.active) > 0 then return -1 end
rcall('HSET', Q.meta, 'paused', '1')
local removed = 0
local function take(key, isList)
  local room = count - removed
  if room <= 0 then return end
  local ids
  if isList then
    ids = rcall('LRANGE', Q.wait, -room, -1)
    if #ids > 0 then rcall('LTRIM', Q.wait, 0, -(#ids + 1)) end
  else
    ids = rcall('ZRANGE', key, 0, room - 1)
    call_chunked('ZREM', key, ids)
    if key == Q.active then call_chunked('HDEL', Q.locks, ids) end
  end
  remove_jobs(ids)
  removed = removed + #ids
end
take(Q.wait, true)
for _, key in ipairs({Q.prioritized, Q.delayed, Q.active, Q.completed, Q.failed}) do
  take(key, false)
end
if removed == 0 then
  for _, sid in ipairs(rcall('ZRANGE', Q.schedulers, 0, -1)) do rcall('DEL', scheduler_key(sid)) end
  rcall('DEL', Q.wait, Q.prioritized, Q.priorityCounter, Q.delayed, Q.active, Q.locks,
    Q.marker, Q.completed, Q.failed, Q.id, Q.stalledCheck, Q.events, Q.meta, Q.cancels,
    Q.limiter, Q.metrics.completed[1], Q.metrics.completed[2], Q.metrics.failed[1],
    Q.metrics.failed[2], Q.durations, Q.schedulers, Q.scheduledStarts)
end
return removed
