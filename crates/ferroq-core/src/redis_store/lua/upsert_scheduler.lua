--[[ upsert_scheduler.lua — creates or updates a job scheduler and makes sure it has
  exactly one job that has not started. Calling it again with the same schedule keeps
  that job's due time (its template may change); a changed pattern replaces the job.

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] scheduler id      ARGV[5] schedule (JSON; the same options give the same text)
  ARGV[6] first due time (ms), for a new or changed schedule   ARGV[7] now (ms)
  ARGV[8] name   ARGV[9] data (JSON)   ARGV[10] template options as given (JSON)
  ARGV[11..13] the options its jobs store (JSON text), before their `delay`, between
           it and their iteration number (`repeat.count`), and after it
  ARGV[14] priority   ARGV[15] lifo ('1' | '0')
  ARGV[16] removeOnFail rule ("count age", or '')   ARGV[17] limit ('' for none)
  ARGV[18] when the job after the latest one is due, should that one have started
           ('' to start anew at ARGV[6])
  ARGV[19] '1': a waiting job keeps its due time (the same schedule, or an `every`
           one, which goes on from there, as BullMQ's)
  Returns {job id, state}; {} when the scheduler's limit is reached (it ends);
  {'', due} when a job for that due time exists already (it ran, or runs: nothing is
  written, so that no due time runs twice).
]]
local sid, schedule, due, now = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local key = scheduler_key(sid)
local old = rcall('HMGET', key, 'repeat', 'job', 'next')
local replaced = nil
if old[2] then
  local state = rcall('HGET', Q.jobPrefix .. old[2], 'state')
  if not_started(state) then
    replaced = old[2]
    if ARGV[19] == '1' and old[3] then due = old[3] end
  elseif ARGV[18] ~= '' then
    -- Its latest job started: the next is the one its start would have made (the
    -- worker's own step for that start then finds it made and changes nothing).
    due = ARGV[18]
  end
end
local id = 'repeat:' .. sid .. ':' .. due
if id ~= replaced and rcall('EXISTS', Q.jobPrefix .. id) == 1 then return {'', due} end
if replaced then
  -- Replaced, not made anew: it does not count against the limit.
  remove_job(replaced)
  rcall('HINCRBY', key, 'ic', -1)
end
rcall('HSET', key, 'repeat', schedule, 'name', ARGV[8], 'data', ARGV[9], 'opts', ARGV[10],
  'optsHead', ARGV[11], 'optsMiddle', ARGV[12], 'optsTail', ARGV[13], 'priority', ARGV[14],
  'lifo', ARGV[15])
if ARGV[16] ~= '' then rcall('HSET', key, 'rof', ARGV[16]) else rcall('HDEL', key, 'rof') end
if ARGV[17] ~= '' then rcall('HSET', key, 'limit', ARGV[17]) else rcall('HDEL', key, 'limit') end
local line = new_line()
local made, state = schedule_next(line, sid, due, now)
flush_line(line, true)
if not made then return {} end
return {made, state}
