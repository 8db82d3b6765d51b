--[[ release.lua — gives active jobs back to the queue untouched, first in line, when
  their worker closes by force. Attempts are not counted; jobs whose lock the worker
  no longer holds are left alone.

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] now (ms), then pairs: id, token
  Returns the number of jobs released. A cancelled job fails instead (lib.lua).
]]
local nowText = ARGV[4]
local mine = {}
for i = 5, #ARGV, 2 do
  if rcall('HGET', Q.locks, ARGV[i]) == ARGV[i + 1] then mine[#mine + 1] = ARGV[i] end
end
local line, done = new_line(), new_finishes()
requeue_front(line, done, nowText, mine)
flush_finishes(done, nowText)
flush_line(line, true)
return #mine
