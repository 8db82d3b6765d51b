--[[ retry.lua — moves finished jobs back to waiting: one job (job.retry), or up to
  `count` of a state finished before a time (queue.retryJobs; the caller calls again
  while it moves `count`).

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] state ('failed' | 'completed')
  ARGV[5] two flags, '1' or '0': reset the attempts made, reset the attempts started
  ARGV[6] one job's id, or '' for many   ARGV[7] count   ARGV[8] finished before (ms)
  Returns the number of jobs moved; for one job, -1 when it is not in that state,
  and 0 when there is no such job.
]]
local state, id = ARGV[4], ARGV[6]
local resetMade, resetStarted = string.sub(ARGV[5], 1, 1) == '1', string.sub(ARGV[5], 2, 2) == '1'
local ids
if id ~= '' then
  local now = rcall('HGET', Q.jobPrefix .. id, 'state')
  if not now then return 0 end
  if now ~= state then return -1 end
  ids = {id}
else
  ids = rcall('ZRANGEBYSCORE', Q[state], '-inf', ARGV[8], 'LIMIT', 0, tonumber(ARGV[7]))
end
call_chunked('ZREM', Q[state], ids)
local line = new_line()
requeue(line, ids, state, resetMade, resetStarted)
flush_line(line, true)
return #ids
