--[[ cancel.lua — ferroq's cancel of one job, from any process. A job waiting to run
  (waiting, prioritized, delayed) fails at once with the reason, without retry. An
  active one is marked in `cancels` and its worker is told on the cancel channel:
  whichever transition ends its attempt fails it with the reason (lib.lua).

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] job id   ARGV[5] reason   ARGV[6] now (ms)   ARGV[7] the cancel channel
  Returns 1 when the job failed now, 2 when it is active (marked and its worker told),
  0 when there is no such job, or the state of a finished job (nothing changed).
]]
local id, reason, nowText = ARGV[4], ARGV[5], ARGV[6]
local state = rcall('HGET', Q.jobPrefix .. id, 'state')
if not state then return 0 end
if state == 'completed' or state == 'failed' then return state end
if state == 'active' then
  rcall('HSET', Q.cancels, id, reason)
  rcall('PUBLISH', ARGV[7], cjson.encode({id, reason}))
  return 2
end
leave_line(id, state)
local done = new_finishes()
fail_cancelled(done, id, reason, nowText, state, {})
flush_finishes(done, nowText)
return 1
