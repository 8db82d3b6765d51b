--[[ remove.lua — removes one job, whatever its state, unless a worker holds it.

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] job id
  Returns 1 when removed, 0 when there is no such job, -1 when it is active and
  locked (a worker runs it; nothing changed), -2 when it is the job a scheduler
  waits on (its scheduler would stop: remove the scheduler instead).
]]
local id = ARGV[4]
if rcall('HEXISTS', Q.locks, id) == 1 then return -1 end
if scheduler_waits_on(id) then return -2 end
if remove_job(id) then return 1 end
return 0
