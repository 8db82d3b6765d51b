--[[ promote.lua — makes delayed jobs wait to run now: one job (job.promote), or up
  to `count` (queue.promoteJobs; the caller calls again while it moves `count`).

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] one job's id, or '' for many   ARGV[5] count
  Returns the number of jobs moved; for one job, -1 when it is not delayed, and 0
  when there is no such job.
]]
local id = ARGV[4]
local ids
if id ~= '' then
  local now = rcall('HGET', Q.jobPrefix .. id, 'state')
  if not now then return 0 end
  if now ~= 'delayed' then return -1 end
  ids = {id}
else
  ids = rcall('ZRANGE', Q.delayed, 0, tonumber(ARGV[5]) - 1)
end
call_chunked('ZREM', Q.delayed, ids)
local line = new_line()
for _, promoted in ipairs(ids) do
  local jobKey = Q.jobPrefix .. promoted
  if rcall('EXISTS', jobKey) == 1 then
    rcall('HSET', jobKey, 'delay', '0')
    place_stored(line, promoted, jobKey, nil, false, 'delayed')
  end
end
flush_line(line, true)
return #ids
