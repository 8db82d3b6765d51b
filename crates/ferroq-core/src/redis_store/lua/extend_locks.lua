--[[ extend_locks.lua — renews, in one call, every lock a worker still holds, and
  tells it which of its jobs were cancelled (in case it missed the published request).

  KEYS[1] active   KEYS[2] locks   KEYS[3] cancels
  ARGV[1] new deadline (ms), then pairs: id, token
  Returns {lost, cancelled}: the ids whose lock the token no longer holds (recovered
  as stalled), and id, reason pairs of the renewed jobs marked cancelled.
]]
local rcall = redis.call
local ids = {}
for i = 2, #ARGV, 2 do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then return {{}, {}} end
local holders = rcall('HMGET', KEYS[2], unpack(ids))
local renew, renewed, lost = {}, {}, {}
for i, id in ipairs(ids) do
  if holders[i] == ARGV[i * 2 + 1] then
    renew[#renew + 1] = ARGV[1]
    renew[#renew + 1] = id
    renewed[#renewed + 1] = id
  else
    lost[#lost + 1] = id
  end
end
local cancelled = {}
if #renew > 0 then
  rcall('ZADD', KEYS[1], 'XX', unpack(renew))
  if rcall('EXISTS', KEYS[3]) == 1 then
    local reasons = rcall('HMGET', KEYS[3], unpack(renewed))
    for i, id in ipairs(renewed) do
      if reasons[i] then
        cancelled[#cancelled + 1] = id
        cancelled[#cancelled + 1] = reasons[i]
      end
    end
  end
end
return {lost, cancelled}
