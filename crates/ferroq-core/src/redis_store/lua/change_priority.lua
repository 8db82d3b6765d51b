--[[ change_priority.lua — gives a job a new priority (and lifo). A waiting or
  prioritized job moves to the line the new values call for; in another state the job
  keeps them for when it waits again.

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] job id   ARGV[5] priority (0: none)   ARGV[6] lifo ('1' or '0')
  Returns 1, or 0 when there is no such job.
]]
local id = ARGV[4]
local jobKey = Q.jobPrefix .. id
local state = rcall('HGET', jobKey, 'state')
if not state then return 0 end
rcall('HSET', jobKey, 'priority', ARGV[5], 'lifo', ARGV[6])
if state == 'waiting' or state == 'prioritized' then
  if state == 'waiting' then rcall('LREM', Q.wait, 1, id) else rcall('ZREM', Q.prioritized, id) end
  local line = new_line(true)
  place_stored(line, id, jobKey, nil, false, state)
  flush_line(line, true)
end
return 1
