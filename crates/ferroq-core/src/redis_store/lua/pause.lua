--[[ pause.lua — pauses or resumes the queue for every worker of every process: while
  paused, the fetch takes no jobs (running ones finish). Resuming wakes an idle worker.

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] '1' to pause, '0' to resume
  Returns 1 when the queue changed, 0 when it already was so (no event then).
]]
local pause = ARGV[4] == '1'
if pause == is_paused() then return 0 end
if pause then
  rcall('HSET', Q.meta, 'paused', '1')
  emit('paused')
else
  rcall('HDEL', Q.meta, 'paused')
  emit('resumed')
  if rcall('LLEN', Q.wait) > 0 or rcall('ZCARD', Q.prioritized) > 0 then signal_work() end
end
return 1
