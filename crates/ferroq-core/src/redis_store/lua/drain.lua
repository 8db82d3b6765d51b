--[[ drain.lua — removes the jobs waiting to run: waiting and prioritized ones, and
  delayed ones too when asked. Active and finished jobs stay, and so do the jobs job
  schedulers wait on (removing them would stop the schedulers; removeJobScheduler
  removes a scheduler with its job).

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] '1' to remove delayed jobs too
  Returns the number of jobs removed.
]]
local removed = 0
local keep = scheduler_jobs()
local function drop(key, ids, isList)
  local gone, kept = {}, {}
  for _, id in ipairs(ids) do
    if keep[id] then kept[#kept + 1] = id else gone[#gone + 1] = id end
  end
  remove_jobs(gone)
  if #kept == 0 then
    rcall('DEL', key)
  elseif isList then
    rcall('DEL', key)
    call_chunked('RPUSH', key, kept)
  else
    call_chunked('ZREM', key, gone)
  end
  removed = removed + #gone
end
drop(Q.wait, rcall('LRANGE', Q.wait, 0, -1), true)
drop(Q.prioritized, rcall('ZRANGE', Q.prioritized, 0, -1), false)
if ARGV[4] == '1' then drop(Q.delayed, rcall('ZRANGE', Q.delayed, 0, -1), false) end
return removed
