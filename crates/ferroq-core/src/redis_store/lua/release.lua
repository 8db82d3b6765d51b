--[[ release.lua — gives active jobs back to the queue untouched, first in line, when
  their worker closes by force. Attempts are not counted; jobs whose lock the worker
  no longer holds are left alone.

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  then pairs: id, token
  Returns the number of jobs released.
]]
local mine = {}
for i = 4, #ARGV, 2 do
  if rcall('HGET', Q.locks, ARGV[i]) == ARGV[i + 1] then mine[#mine + 1] = ARGV[i] end
end
local line = new_line()
requeue_front(line, mine)
flush_line(line, true)
return #mine
