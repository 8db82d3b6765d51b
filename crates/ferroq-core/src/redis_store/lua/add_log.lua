--[[ add_log.lua — appends a line to a job's log.

  KEYS[1] job hash   KEYS[2] job log list
  ARGV[1] the line
  Returns the number of log lines, or -1 when the job does not exist.
]]
local rcall = redis.call
if rcall('EXISTS', KEYS[1]) == 0 then return -1 end
return rcall('RPUSH', KEYS[2], ARGV[1])
