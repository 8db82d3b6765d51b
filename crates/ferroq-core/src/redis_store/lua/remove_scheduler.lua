--[[ remove_scheduler.lua — removes a job scheduler and its job that has not started.

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] scheduler id
  Returns 1 when it existed, else 0.
]]
local sid = ARGV[4]
local key = scheduler_key(sid)
if rcall('EXISTS', key) == 0 then return 0 end
local job = rcall('HGET', key, 'job')
if job and not_started(rcall('HGET', Q.jobPrefix .. job, 'state')) then remove_job(job) end
end_scheduler(sid)
return 1
