--[[ advance_scheduler.lua — scheduler `sid`'s job `from` has started: makes its next
  job, once (a second call for the same start changes nothing).

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] scheduler id   ARGV[5] the started job's id
  ARGV[6] when the next job is due (ms), or '' when the schedule has ended
  ARGV[7] now (ms)
  Returns 1 when a job was made, else 0.
]]
local sid, from, due, now = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local latest = rcall('HGET', scheduler_key(sid), 'job')
if latest ~= from then
  -- Made already (or the scheduler changed or went): the start mark stays only while
  -- the scheduler's latest job has started and still waits for its own successor.
  if not latest or not_started(rcall('HGET', Q.jobPrefix .. latest, 'state')) then
    rcall('ZREM', Q.scheduledStarts, sid)
  end
  return 0
end
rcall('ZREM', Q.scheduledStarts, sid)
if due == '' then
  end_scheduler(sid)
  return 0
end
local line = new_line()
local id = schedule_next(line, sid, due, now)
flush_line(line, true)
return id and 1 or 0
