--[[ drain.lua — removes the jobs waiting to run: waiting and prioritized ones, and
  delayed ones too when asked. Active and finished jobs stay.

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] '1' to remove delayed jobs too
  Returns the number of jobs removed.
]]
local removed = 0
local function drop(key, ids)
  remove_jobs(ids)
  rcall('DEL', key)
  removed = removed + #ids
end
drop(Q.wait, rcall('LRANGE', Q.wait, 0, -1))
drop(Q.prioritized, rcall('ZRANGE', Q.prioritized, 0, -1))
if ARGV[4] == '1' then drop(Q.delayed, rcall('ZRANGE', Q.delayed, 0, -1)) end
return removed
