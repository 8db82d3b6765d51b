--[[ update_progress.lua — stores a job's progress and appends its `progress` event.

  KEYS[1] job hash   KEYS[2] event stream
  ARGV[1] progress JSON   ARGV[2] job id   ARGV[3] events cap (0: no events)
  Returns 1, or 0 when the job does not exist.
]]
local rcall = redis.call
if rcall('EXISTS', KEYS[1]) == 0 then return 0 end
rcall('HSET', KEYS[1], 'progress', ARGV[1])
if ARGV[3] ~= '0' then
  rcall('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'event', 'progress', 'jobId', ARGV[2],
    'data', ARGV[1])
end
return 1
