--[[ clean.lua — removes up to `limit` jobs of one state that are older than a grace
  period: finished jobs by when they finished, the others by when they were added.
  Active jobs a worker holds are never removed.

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] state ('completed' | 'failed' | 'delayed' | 'prioritized' | 'waiting' | 'active')
  ARGV[5] remove jobs from before this time (ms)   ARGV[6] limit (0: no limit)
  Returns the ids removed; appends `cleaned` with their count.
]]
local state, before, limit = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local ids = {}
local function full() return limit > 0 and #ids >= limit end

if state == 'completed' or state == 'failed' then
  local old = rcall('ZRANGEBYSCORE', Q[state], '-inf', before, 'LIMIT', 0, limit > 0 and limit or -1)
  for _, id in ipairs(old) do ids[#ids + 1] = id end
  call_chunked('ZREM', Q[state], ids)
else
  local candidates
  if state == 'waiting' then
    candidates = rcall('LRANGE', Q.wait, 0, -1)
  else
    candidates = rcall('ZRANGE', Q[state], 0, -1)
  end
  for _, id in ipairs(candidates) do
    if full() then break end
    local timestamp = tonumber(rcall('HGET', Q.jobPrefix .. id, 'timestamp')) or 0
    if timestamp <= before and (state ~= 'active' or rcall('HEXISTS', Q.locks, id) == 0) then
      ids[#ids + 1] = id
      if state == 'waiting' then rcall('LREM', Q.wait, 1, id) else rcall('ZREM', Q[state], id) end
    end
  end
end
remove_jobs(ids)
emit('cleaned', 'count', #ids)
return ids
