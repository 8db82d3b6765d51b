--[[ release.lua — gives active jobs back to the queue untouched, first in line, when
  their worker closes by force. Attempts are not counted; jobs whose lock the worker
  no longer holds are left alone.

  KEYS[1] active   KEYS[2] locks   KEYS[3] wait   KEYS[4] prioritized
  KEYS[5] priority seq   KEYS[6] marker
  ARGV[1] job key prefix, then pairs: id, token
  Returns the number of jobs released.
]]
local released = 0
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  if rcall('HGET', KEYS[2], id) == ARGV[i + 1] then
    rcall('HDEL', KEYS[2], id)
    rcall('ZREM', KEYS[1], id)
    push_waiting(ARGV[1] .. id, id, KEYS[3], KEYS[4], KEYS[5], true)
    released = released + 1
  end
end
if released > 0 then signal_work(KEYS[6]) end
return released
