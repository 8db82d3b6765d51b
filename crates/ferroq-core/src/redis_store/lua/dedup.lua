--[[ dedup.lua — reads or frees a deduplication key.

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] the deduplication key   ARGV[5] 'get' or 'remove'
  ARGV[6] for 'remove': only if this job holds it ('' for any)
  Returns for 'get' the live job holding it (or nil); for 'remove' 1 when a key was
  removed, else 0.
]]
local deKey, op, only = ARGV[4], ARGV[5], ARGV[6]
if op == 'get' then return dedup_holder(deKey) end
if only ~= '' and rcall('GET', deKey) ~= only then return 0 end
return rcall('DEL', deKey)
