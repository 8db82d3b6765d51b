--[[ extend_locks.lua — renews, in one call, every lock a worker still holds.

  KEYS[1] active   KEYS[2] locks
  ARGV[1] new deadline (ms), then pairs: id, token
  Returns the ids whose lock the token no longer holds (recovered as stalled).
]]
local rcall = redis.call
local ids = {}
for i = 2, #ARGV, 2 do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then return {} end
local holders = rcall('HMGET', KEYS[2], unpack(ids))
local renew, lost = {}, {}
for i, id in ipairs(ids) do
  if holders[i] == ARGV[i * 2 + 1] then
    renew[#renew + 1] = ARGV[1]
    renew[#renew + 1] = id
  else
    lost[#lost + 1] = id
  end
end
if #renew > 0 then rcall('ZADD', KEYS[1], 'XX', unpack(renew)) end
return lost
