--[[ rate_limit_ttl.lua — how long until a job may start under the rate limit.

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] now (ms)   ARGV[5] max, ARGV[6] duration (ms) of the limit to ask about
  ('0', '0': the queue's global rate limit, if any)
  Returns the wait in ms (0: a job may start now).
]]
local now = tonumber(ARGV[4])
local meta = rcall('HMGET', Q.meta, 'rateMax', 'rateDuration', 'limitedUntil')
local max, duration = tonumber(ARGV[5]), tonumber(ARGV[6])
if max == 0 then max, duration = tonumber(meta[1]), tonumber(meta[2]) end
local _, wait = rate_room(1, max, duration, now, tonumber(meta[3]))
return wait
