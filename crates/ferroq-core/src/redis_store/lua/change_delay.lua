--[[ change_delay.lua — makes a delayed job due `delay` ms from now.

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] job id   ARGV[5] now (ms)   ARGV[6] delay (ms)
  Returns 1, 0 when there is no such job, -1 when it is not delayed (nothing changed).
]]
local id = ARGV[4]
local jobKey = Q.jobPrefix .. id
local state = rcall('HGET', jobKey, 'state')
if not state then return 0 end
if state ~= 'delayed' then return -1 end
rcall('ZREM', Q.delayed, id)
rcall('HSET', jobKey, 'delay', ARGV[6])
local line = new_line()
place(line, id, tonumber(ARGV[5]) + tonumber(ARGV[6]), 0, false, false, 'delayed')
flush_line(line, false)
return 1
